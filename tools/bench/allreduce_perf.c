/*
 * ultracc_allreduce_perf: all-reduce bandwidth sweep in the layout of nccl-tests' all_reduce_perf.
 * Run it as the ranks of a job: `ultracc launch --nodes 2 --chips-per-node 4 -- ultracc_allreduce_perf`.
 * Written in C against the public header only, as an application would be.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ultracc.h"

#define CHECK(call)                                                                    \
  do {                                                                                 \
    ultraccResult_t r_ = (call);                                                       \
    if (r_ != ultraccSuccess) {                                                        \
      fprintf(stderr, "%s failed: %s: %s\n", #call, ultraccGetErrorString(r_),         \
              ultraccGetLastError(comm));                                              \
      exit(1);                                                                         \
    }                                                                                  \
  } while (0)

static double NowSeconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t ParseBytes(const char* text) {
  char* end = NULL;
  double value = strtod(text, &end);
  switch (end != NULL ? *end : 0) {
    case 'K': case 'k': value *= 1024.0; break;
    case 'M': case 'm': value *= 1024.0 * 1024.0; break;
    case 'G': case 'g': value *= 1024.0 * 1024.0 * 1024.0; break;
    default: break;
  }
  return (size_t)value;
}

/* Integer-valued inputs keep float sums exact whatever the reduction order. */
static float InputValue(int rank, size_t i) { return (float)((rank + (int)(i % 13)) % 7 + 1); }

static void Fill(float* buffer, size_t count, int rank) {
  for (size_t i = 0; i < count; ++i) buffer[i] = InputValue(rank, i);
}

static long CountWrong(const float* result, size_t count, int nranks) {
  long wrong = 0;
  for (size_t i = 0; i < count; ++i) {
    float expected = 0.0f;
    for (int r = 0; r < nranks; ++r) expected += InputValue(r, i);
    if (result[i] != expected) ++wrong;
  }
  return wrong;
}

/* Times `iters` all-reduces; returns the slowest rank's average seconds per call. */
static double TimeAllReduce(ultraccComm_t comm, const float* send, float* recv, size_t count,
                            int iters, double* scratch) {
  double start = NowSeconds();
  for (int i = 0; i < iters; ++i) {
    CHECK(ultraccAllReduce(send, recv, count, ultraccFloat32, ultraccSum, comm, NULL));
  }
  scratch[0] = (NowSeconds() - start) / iters;
  CHECK(ultraccAllReduce(scratch, scratch, 1, ultraccFloat64, ultraccMax, comm, NULL));
  return scratch[0];
}

int main(int argc, char** argv) {
  ultraccComm_t comm = NULL;
  size_t min_bytes = 8, max_bytes = 64 << 20;
  double factor = 2.0;
  int iters = 20, warmup = 5, check = 1;
  int opt;
  while ((opt = getopt(argc, argv, "b:e:f:n:w:c:h")) != -1) {
    switch (opt) {
      case 'b': min_bytes = ParseBytes(optarg); break;
      case 'e': max_bytes = ParseBytes(optarg); break;
      case 'f': factor = atof(optarg); break;
      case 'n': iters = atoi(optarg); break;
      case 'w': warmup = atoi(optarg); break;
      case 'c': check = atoi(optarg); break;
      default:
        fprintf(stderr, "usage: %s [-b minbytes] [-e maxbytes] [-f factor] [-n iters] "
                        "[-w warmup] [-c check 0|1]\n", argv[0]);
        return opt == 'h' ? 0 : 2;
    }
  }
  if (factor <= 1.0 || iters < 1 || min_bytes < 4 || max_bytes < min_bytes) {
    fprintf(stderr, "bad sweep: -b %zu -e %zu -f %g -n %d\n", min_bytes, max_bytes, factor, iters);
    return 2;
  }

  int rank = 0, nranks = 0;
  CHECK(ultraccCommInitFromEnv(&comm));
  CHECK(ultraccCommUserRank(comm, &rank));
  CHECK(ultraccCommCount(comm, &nranks));

  size_t max_count = max_bytes / sizeof(float);
  float *send = NULL, *recv = NULL;
  double* scratch = NULL;
  CHECK(ultraccMemAlloc((void**)&send, max_count * sizeof(float)));
  CHECK(ultraccMemAlloc((void**)&recv, max_count * sizeof(float)));
  CHECK(ultraccMemAlloc((void**)&scratch, sizeof(double)));

  if (rank == 0) {
    printf("# ultracc all-reduce sweep: %d ranks, float32 sum, %d iterations after %d warm-up\n",
           nranks, iters, warmup);
    printf("#%12s %12s %8s %6s %6s %10s %9s %9s %7s %10s %9s %9s %7s\n", "size", "count", "type",
           "redop", "root", "time", "algbw", "busbw", "#wrong", "time", "algbw", "busbw",
           "#wrong");
    printf("#%12s %12s %8s %6s %6s %10s %9s %9s %7s %10s %9s %9s %7s\n", "(B)", "(elements)", "",
           "", "", "(us)", "(GB/s)", "(GB/s)", "", "(us)", "(GB/s)", "(GB/s)", "");
  }
  double busbw_sum = 0.0;
  int rows = 0;
  long total_wrong = 0;
  for (size_t bytes = min_bytes; bytes <= max_bytes;) {
    size_t count = bytes / sizeof(float);
    Fill(send, count, rank);
    for (int i = 0; i < warmup; ++i) {
      CHECK(ultraccAllReduce(send, recv, count, ultraccFloat32, ultraccSum, comm, NULL));
    }
    double t_out = TimeAllReduce(comm, send, recv, count, iters, scratch);
    long wrong_out = check ? CountWrong(recv, count, nranks) : -1;
    double t_in = TimeAllReduce(comm, recv, recv, count, iters, scratch);
    long wrong_in = -1;
    if (check) {
      Fill(recv, count, rank);
      CHECK(ultraccAllReduce(recv, recv, count, ultraccFloat32, ultraccSum, comm, NULL));
      wrong_in = CountWrong(recv, count, nranks);
    }
    /* Every rank's wrong counts, summed, so rank 0 reports the whole job. */
    scratch[0] = (double)((wrong_out > 0 ? wrong_out : 0) + (wrong_in > 0 ? wrong_in : 0));
    CHECK(ultraccAllReduce(scratch, scratch, 1, ultraccFloat64, ultraccSum, comm, NULL));
    total_wrong += (long)scratch[0];
    double algbw_out = (double)(count * sizeof(float)) / t_out / 1e9;
    double algbw_in = (double)(count * sizeof(float)) / t_in / 1e9;
    double bus_factor = nranks > 1 ? 2.0 * (nranks - 1) / nranks : 0.0;
    busbw_sum += algbw_in * bus_factor;
    ++rows;
    if (rank == 0) {
      char w_out[24], w_in[24];
      if (check) {
        snprintf(w_out, sizeof(w_out), "%ld", wrong_out);
        snprintf(w_in, sizeof(w_in), "%ld", wrong_in);
      } else {
        strcpy(w_out, "N/A");
        strcpy(w_in, "N/A");
      }
      printf(" %12zu %12zu %8s %6s %6d %10.2f %9.3f %9.3f %7s %10.2f %9.3f %9.3f %7s\n",
             count * sizeof(float), count, "float", "sum", -1, t_out * 1e6, algbw_out,
             algbw_out * bus_factor, w_out, t_in * 1e6, algbw_in, algbw_in * bus_factor, w_in);
    }
    size_t next = (size_t)((double)bytes * factor);
    bytes = next > bytes ? next : bytes + 1;
  }
  if (rank == 0) {
    printf("# Out of bounds values : %ld %s\n", total_wrong, total_wrong == 0 ? "OK" : "FAILED");
    printf("# Avg bus bandwidth    : %.4f\n", rows > 0 ? busbw_sum / rows : 0.0);
    fflush(stdout);
  }
  CHECK(ultraccMemFree(send));
  CHECK(ultraccMemFree(recv));
  CHECK(ultraccMemFree(scratch));
  CHECK(ultraccCommDestroy(comm));
  return total_wrong == 0 ? 0 : 1;
}
