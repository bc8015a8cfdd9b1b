/*
 * copy_probe: the host's memory copy bandwidth, for tools/compare/compare.sh. Copies a buffer far
 * larger than the caches with memcpy, on 1 thread and on every core at once, and prints
 * "threads GB/s" lines (GB/s = 10^9 bytes copied per second: each byte read once and written
 * once), best of several rounds.
 *
 *   copy_probe [MiB per thread, default 256]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct Job {
  char* src;
  char* dst;
  size_t bytes;
  pthread_barrier_t* start;
  double seconds;
};

static double Now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void* Copy(void* arg) {
  struct Job* job = arg;
  pthread_barrier_wait(job->start);
  const double t0 = Now();
  memcpy(job->dst, job->src, job->bytes);
  job->seconds = Now() - t0;
  return NULL;
}

/* Best GB/s of `rounds` rounds with `threads` threads copying `bytes` each at the same time. */
static double Measure(int threads, size_t bytes, int rounds, char** src, char** dst) {
  double best = 0;
  for (int r = 0; r < rounds; ++r) {
    pthread_t tid[256];
    struct Job jobs[256];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads);
    for (int i = 0; i < threads; ++i) {
      jobs[i] = (struct Job){src[i], dst[i], bytes, &start, 0};
      pthread_create(&tid[i], NULL, Copy, &jobs[i]);
    }
    double slowest = 0;
    for (int i = 0; i < threads; ++i) {
      pthread_join(tid[i], NULL);
      if (jobs[i].seconds > slowest) slowest = jobs[i].seconds;
    }
    pthread_barrier_destroy(&start);
    const double rate = (double)bytes * threads / slowest / 1e9;
    if (rate > best) best = rate;
  }
  return best;
}

int main(int argc, char** argv) {
  const size_t mib = argc > 1 ? (size_t)atol(argv[1]) : 256;
  if (mib == 0) {
    fprintf(stderr, "usage: %s [MiB per thread > 0]\n", argv[0]);
    return 2;
  }
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  if (cores < 1) cores = 1;
  if (cores > 256) cores = 256;
  const size_t bytes = mib << 20;
  char* src[256];
  char* dst[256];
  for (long i = 0; i < cores; ++i) {
    src[i] = malloc(bytes);
    dst[i] = malloc(bytes);
    if (src[i] == NULL || dst[i] == NULL) {
      fprintf(stderr, "copy_probe: cannot allocate 2 x %zu MiB per core\n", mib);
      return 1;
    }
    memset(src[i], (int)i + 1, bytes);
    memset(dst[i], 0, bytes); /* fault the pages in before timing */
  }
  printf("1 %.2f\n", Measure(1, bytes, 5, src, dst));
  if (cores > 1) printf("%ld %.2f\n", cores, Measure((int)cores, bytes, 5, src, dst));
  return 0;
}
