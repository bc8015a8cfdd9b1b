/*
 * mpi_collectives_bench: the float32 sum sweep of `ultracc bench` (same sizes, counts and busbw
 * factors, nccl-tests' meaning of -b -e -f -n -w) run with MPI collectives, so that
 * tools/compare/compare.sh can put Open MPI's figures beside ultracc's.
 *
 *   mpirun -np N mpi_collectives_bench all_reduce|reduce_scatter|all_to_all [-b B] [-e B] [-f F]
 *                                      [-n iters] [-w warmup]
 *
 * Prints one line per size: "size count time_us algbw busbw", the time averaged over ranks.
 * Exits 2 on bad arguments, 1 when a result is wrong (every element is checked once per size).
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t ParseBytes(const char* text) {
  char* end = NULL;
  double v = strtod(text, &end);
  if (end == text || v < 0) return 0;
  switch (*end) {
    case 'K': case 'k': v *= 1024; break;
    case 'M': case 'm': v *= 1024 * 1024; break;
    case 'G': case 'g': v *= 1024.0 * 1024 * 1024; break;
    case '\0': break;
    default: return 0;
  }
  return (size_t)v;
}

enum Collective { kAllReduce, kReduceScatter, kAllToAll };

/* Runs the collective once; counts as `ultracc bench` defines them for size `bytes`. */
static void RunOnce(enum Collective c, float* send, float* recv, size_t block, int n) {
  if (c == kAllReduce) {
    MPI_Allreduce(send, recv, (int)block, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  } else if (c == kReduceScatter) {
    MPI_Reduce_scatter_block(send, recv, (int)block, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  } else {
    MPI_Alltoall(send, (int)block, MPI_FLOAT, recv, (int)block, MPI_FLOAT, MPI_COMM_WORLD);
  }
  (void)n;
}

/* Inputs: rank r holds r + (i % 7) at element i; sums are exact in float. */
static long CountWrong(enum Collective c, const float* recv, size_t block, int rank, int n) {
  long wrong = 0;
  const float rank_sum = (float)n * (n - 1) / 2;
  if (c == kAllReduce) {
    for (size_t i = 0; i < block; ++i) wrong += recv[i] != rank_sum + (float)n * (float)(i % 7);
  } else if (c == kReduceScatter) {
    for (size_t i = 0; i < block; ++i) {
      const size_t g = (size_t)rank * block + i;
      wrong += recv[i] != rank_sum + (float)n * (float)(g % 7);
    }
  } else {
    for (int src = 0; src < n; ++src) {
      for (size_t i = 0; i < block; ++i) {
        const size_t g = (size_t)rank * block + i;
        wrong += recv[(size_t)src * block + i] != (float)src + (float)(g % 7);
      }
    }
  }
  return wrong;
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, n = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  size_t min_bytes = 8, max_bytes = (size_t)64 << 20;
  double factor = 2;
  int iters = 20, warmup = 5;
  enum Collective c = kAllReduce;
  int bad = argc < 2;
  if (!bad) {
    if (strcmp(argv[1], "all_reduce") == 0) c = kAllReduce;
    else if (strcmp(argv[1], "reduce_scatter") == 0) c = kReduceScatter;
    else if (strcmp(argv[1], "all_to_all") == 0) c = kAllToAll;
    else bad = 1;
  }
  for (int i = 2; !bad && i < argc; i += 2) {
    if (i + 1 >= argc) { bad = 1; break; }
    if (strcmp(argv[i], "-b") == 0) bad = (min_bytes = ParseBytes(argv[i + 1])) == 0;
    else if (strcmp(argv[i], "-e") == 0) bad = (max_bytes = ParseBytes(argv[i + 1])) == 0;
    else if (strcmp(argv[i], "-f") == 0) bad = (factor = atof(argv[i + 1])) <= 1;
    else if (strcmp(argv[i], "-n") == 0) bad = (iters = atoi(argv[i + 1])) < 1;
    else if (strcmp(argv[i], "-w") == 0) bad = (warmup = atoi(argv[i + 1])) < 0;
    else bad = 1;
  }
  if (bad) {
    if (rank == 0) {
      fprintf(stderr, "usage: %s all_reduce|reduce_scatter|all_to_all [-b B] [-e B] [-f F] "
              "[-n iters] [-w warmup]\n", argv[0]);
    }
    MPI_Finalize();
    return 2;
  }
  const size_t max_elems = max_bytes / sizeof(float) + (size_t)n;
  float* send = malloc(max_elems * sizeof(float));
  float* recv = malloc(max_elems * sizeof(float));
  if (send == NULL || recv == NULL) {
    fprintf(stderr, "rank %d: cannot allocate %zu bytes\n", rank, 2 * max_elems * sizeof(float));
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  long total_wrong = 0;
  for (size_t bytes = min_bytes; bytes <= max_bytes;) {
    const size_t per = bytes / sizeof(float) / (c == kAllReduce ? 1 : (size_t)n);
    const size_t block = per > 0 ? per : 1;
    const size_t elems = c == kAllReduce ? block : block * (size_t)n;
    for (size_t i = 0; i < elems; ++i) send[i] = (float)rank + (float)(i % 7);
    for (int w = 0; w < warmup; ++w) RunOnce(c, send, recv, block, n);
    MPI_Barrier(MPI_COMM_WORLD);
    const double start = MPI_Wtime();
    for (int it = 0; it < iters; ++it) RunOnce(c, send, recv, block, n);
    double elapsed_us = (MPI_Wtime() - start) * 1e6 / iters, mean_us = 0;
    MPI_Allreduce(&elapsed_us, &mean_us, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    mean_us /= n;
    long wrong = CountWrong(c, recv, block, rank, n), all_wrong = 0;
    MPI_Allreduce(&wrong, &all_wrong, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
    total_wrong += all_wrong;
    const size_t size = elems * sizeof(float);
    const double algbw = (double)size / (mean_us * 1e-6) / 1e9;
    const double busbw = algbw * (c == kAllReduce ? 2.0 * (n - 1) / n : (double)(n - 1) / n);
    if (rank == 0) printf("%zu %zu %.2f %.3f %.3f %ld\n", size, elems, mean_us, algbw, busbw, all_wrong);
    size_t next = (size_t)((double)bytes * factor);
    bytes = next > bytes ? next : bytes + 1;
  }
  free(send);
  free(recv);
  MPI_Finalize();
  return total_wrong == 0 ? 0 : 1;
}
