/*
 * shared_expected.c — expected outputs shared by the thread-ranks; see shared_expected.h. Each
 * case passes two barriers: after the first the buffer is written, each rank its own slice; after
 * the second it is only read, until every rank has reached the next case's first barrier. A
 * rejected output is checked again by the per-rank reference, which names the wrong elements.
 */
#include "shared_expected.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ranges.h"

struct SharedExpected {
  pthread_barrier_t barrier;
  int world;
  char* data;
  size_t bytes;
};

/* Reductions need one struct Interval per element (floats), all-gather world elements of up to
 * 8 bytes per element of a block. */
static size_t BytesPerElement(int world) {
  const size_t gathered = 8 * (size_t)world;
  return gathered > sizeof(struct Interval) ? gathered : sizeof(struct Interval);
}

struct SharedExpected* SharedExpectedCreate(int world, size_t max_count) {
  struct SharedExpected* shared = calloc(1, sizeof(*shared));
  if (shared == NULL) return NULL;
  shared->world = world;
  shared->bytes = max_count * BytesPerElement(world);
  shared->data = malloc(shared->bytes > 0 ? shared->bytes : 1);
  if (shared->data == NULL || pthread_barrier_init(&shared->barrier, NULL, (unsigned)world) != 0) {
    free(shared->data);
    free(shared);
    return NULL;
  }
  return shared;
}

void SharedExpectedDestroy(struct SharedExpected* shared) {
  if (shared == NULL) return;
  pthread_barrier_destroy(&shared->barrier);
  free(shared->data);
  free(shared);
}

/* The shared buffer when it serves this case (the same answer on every rank), else NULL. */
static struct SharedExpected* Usable(const struct Verify* v, size_t bytes) {
  struct SharedExpected* shared = v->rs->shared;
  if (shared == NULL || shared->world != v->rs->shape.world || bytes > shared->bytes) return NULL;
  return shared;
}

/* This rank's slice [*from, *to) of `total` elements. */
static void Slice(const struct Verify* v, size_t total, size_t* from, size_t* to) {
  const size_t world = (size_t)v->rs->shape.world, rank = (size_t)v->rs->rank;
  *from = total / world * rank + (rank < total % world ? rank : total % world);
  *to = *from + total / world + (rank < total % world ? 1 : 0);
}

/* After the per-rank reference re-checked what the shared one rejected at `index`. */
static void ExpectRecheckFound(struct Verify* v, size_t wrong_before, const char* name,
                               size_t index) {
  if (v->wrong != wrong_before) return;
  Mismatch(v, "%s[%zu] fails the shared reference but passes the per-rank one", name, index);
}

void ExpectReducedEverywhere(struct Verify* v, int check, const char* name, const void* out,
                             int dtype, int op, size_t n) {
  const size_t size = Dtype(dtype)->is_float ? sizeof(struct Interval) : Dtype(dtype)->size;
  struct SharedExpected* shared = Usable(v, n * size);
  if (shared == NULL || n == 0) {
    if (check) ExpectReducedRange(v, name, out, dtype, op, 0, n);
    return;
  }
  size_t from, to;
  Slice(v, n, &from, &to);
  pthread_barrier_wait(&shared->barrier);
  const int computed =
      ComputeReduced(shared->data, dtype, op, &v->rs->shape, v->rs->salt, from, to);
  pthread_barrier_wait(&shared->barrier);
  if (!check) return;
  const size_t wrong_before = v->wrong;
  const size_t k = computed ? FirstOutsideExpected(out, shared->data, dtype, n) : 0;
  if (k == n) return;
  ExpectReducedRange(v, name, out, dtype, op, 0, n);
  ExpectRecheckFound(v, wrong_before, name, k);
}

void ExpectGathered(struct Verify* v, int check, const char* name, const void* out, int dtype,
                    int first_source, int sources, size_t n) {
  const size_t size = Dtype(dtype)->size, total = (size_t)sources * n;
  struct SharedExpected* shared = Usable(v, total * size);
  if (shared == NULL || total == 0) {
    for (int j = 0; check && j < sources; ++j) {
      ExpectInputs(v, name, out, dtype, (size_t)j * n, ultraccSum, first_source + j, 0, n);
    }
    return;
  }
  size_t from, to;
  Slice(v, total, &from, &to);
  pthread_barrier_wait(&shared->barrier);
  for (size_t j = from / n; j < (size_t)sources && j * n < to; ++j) {
    const size_t lo = from > j * n ? from - j * n : 0, hi = to < (j + 1) * n ? to - j * n : n;
    struct Buffer block = {shared->data + j * n * size, n, dtype, 0};
    FillInput(&block, ultraccSum, first_source + (int)j, lo, hi - lo, v->rs->salt);
  }
  pthread_barrier_wait(&shared->barrier);
  if (!check || memcmp(out, shared->data, total * size) == 0) return;
  const size_t wrong_before = v->wrong;
  size_t k = 0;
  while (k < total && memcmp((const char*)out + k * size, shared->data + k * size, size) == 0) ++k;
  for (int j = 0; j < sources; ++j) {
    ExpectInputs(v, name, out, dtype, (size_t)j * n, ultraccSum, first_source + j, 0, n);
  }
  ExpectRecheckFound(v, wrong_before, name, k);
}
