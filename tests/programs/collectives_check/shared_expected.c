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

#include "blocks.h"
#include "ranges.h"

/* One rank's published input: written only by its rank, between the two barriers of ShareInput;
 * read by any rank after them, until every rank has entered the next ShareInput. */
struct InputRow {
  char* data;
  size_t capacity, elems;
  uint32_t salt;
  int dtype, prod;
  int whole; /* every element is an input (not a buffer with gaps), so it can refill one */
  int valid;
};

struct SharedExpected {
  pthread_barrier_t barrier;
  int world;
  char* data;
  size_t bytes;
  struct InputRow* rows;
  const char** row_data; /* rows[r].data, set by rank r alongside its row */
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
  shared->data = BlockAlloc(shared->bytes > 0 ? shared->bytes : 1);
  shared->rows = calloc((size_t)world, sizeof(*shared->rows));
  shared->row_data = calloc((size_t)world, sizeof(*shared->row_data));
  if (shared->data == NULL || shared->rows == NULL || shared->row_data == NULL ||
      pthread_barrier_init(&shared->barrier, NULL, (unsigned)world) != 0) {
    free(shared->row_data);
    free(shared->rows);
    BlockFree(shared->data, shared->bytes > 0 ? shared->bytes : 1);
    free(shared);
    return NULL;
  }
  return shared;
}

void SharedExpectedDestroy(struct SharedExpected* shared) {
  if (shared == NULL) return;
  pthread_barrier_destroy(&shared->barrier);
  for (int r = 0; r < shared->world; ++r) {
    BlockFree(shared->rows[r].data, shared->rows[r].capacity);
  }
  free(shared->row_data);
  free(shared->rows);
  BlockFree(shared->data, shared->bytes > 0 ? shared->bytes : 1);
  free(shared);
}

/* The shared buffer when it serves this case (the same answer on every rank), else NULL. */
static struct SharedExpected* Usable(const struct Verify* v, size_t bytes) {
  struct SharedExpected* shared = v->rs->shared;
  if (shared == NULL || shared->world != v->rs->shape.world || bytes > shared->bytes) return NULL;
  return shared;
}

/* Whether `row` holds, whole, the inputs of this case that `b` is to be filled with. */
static int RowHolds(const struct InputRow* row, const struct Verify* v, const struct Buffer* b,
                    int op) {
  return row->valid && row->whole && row->salt == v->rs->salt && row->dtype == b->dtype &&
         row->prod == (op == ultraccProd) && row->elems == b->elems;
}

/* Between two barriers: fills `b` from this rank's row when `fill` and the row holds its inputs,
 * else (filling `b` first when `fill`) copies `b` into the row. */
static void Publish(struct SharedExpected* shared, struct Verify* v, struct Buffer* b, int op,
                   int fill) {
  struct InputRow* row = &shared->rows[v->rs->rank];
  const size_t bytes = b->elems * Dtype(b->dtype)->size;
  pthread_barrier_wait(&shared->barrier);
  if (fill && RowHolds(row, v, b, op)) {
    if (bytes > 0) memcpy(b->p, row->data, bytes);
  } else {
    if (fill) FillInput(b, op, v->rs->rank, 0, b->elems, v->rs->salt);
    row->valid = 0;
    if (bytes > row->capacity) {
      char* grown = BlockAlloc(bytes);
      if (grown != NULL) {
        BlockFree(row->data, row->capacity);
        row->data = grown;
        row->capacity = bytes;
      }
    }
    if (bytes <= row->capacity) {
      if (bytes > 0) memcpy(row->data, b->p, bytes);
      *row = (struct InputRow){row->data, row->capacity,    b->elems, v->rs->salt,
                               b->dtype,  op == ultraccProd, fill,     1};
    }
    shared->row_data[v->rs->rank] = row->data;
  }
  pthread_barrier_wait(&shared->barrier);
}

void FillAndShareInput(struct Verify* v, struct Buffer* b, int op) {
  struct SharedExpected* shared = Usable(v, 0);
  if (shared == NULL) {
    FillInput(b, op, v->rs->rank, 0, b->elems, v->rs->salt);
    return;
  }
  Publish(shared, v, b, op, 1);
}

void ShareInput(struct Verify* v, struct Buffer* b, int op) {
  struct SharedExpected* shared = Usable(v, 0);
  if (shared != NULL) Publish(shared, v, b, op, 0);
}

const char* const* SharedInputs(const struct Verify* v, int dtype, int op, size_t elems) {
  struct SharedExpected* shared = Usable(v, 0);
  if (shared == NULL) return NULL;
  for (int r = 0; r < shared->world; ++r) {
    const struct InputRow* row = &shared->rows[r];
    if (!row->valid || row->salt != v->rs->salt || row->dtype != dtype ||
        row->prod != (op == ultraccProd) || row->elems < elems) {
      return NULL;
    }
  }
  return (const char* const*)shared->row_data;
}

/* This rank's slice [*from, *to) of `total` elements. */
static void Slice(const struct Verify* v, size_t total, size_t* from, size_t* to) {
  const size_t world = (size_t)v->rs->shape.world, rank = (size_t)v->rs->rank;
  *from = total / world * rank + (rank < total % world ? rank : total % world);
  *to = *from + total / world + (rank < total % world ? 1 : 0);
}

/* What the shared buffer holds, as each thread-rank saw it computed: every rank makes the same
 * calls in the same order, so every rank's copy agrees, and a case that wants what the buffer
 * already holds (the same case on another algorithm's communicator) skips both barriers and the
 * work. */
struct SharedHolds {
  int valid, kind, dtype, op, first_source, sources;
  uint32_t salt;
  size_t n;
  const struct SharedExpected* shared;
};
static _Thread_local struct SharedHolds g_holds;

/* Whether the shared buffer holds `want`; if not, records that it is about to. */
static int HoldsOrClaim(const struct SharedHolds* want) {
  const struct SharedHolds* h = &g_holds;
  if (h->valid && h->kind == want->kind && h->dtype == want->dtype && h->op == want->op &&
      h->first_source == want->first_source && h->sources == want->sources &&
      h->salt == want->salt && h->n == want->n && h->shared == want->shared) {
    return 1;
  }
  g_holds = *want;
  return 0;
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
  const struct SharedHolds want = {1, 1, dtype, op, 0, 0, v->rs->salt, n, shared};
  int computed = 1;
  if (!HoldsOrClaim(&want)) {
    size_t from, to;
    Slice(v, n, &from, &to);
    pthread_barrier_wait(&shared->barrier);
    computed = ComputeReduced(shared->data, 0, dtype, op, &v->rs->shape, v->rs->salt,
                              SharedInputs(v, dtype, op, n), from, to);
    pthread_barrier_wait(&shared->barrier);
    /* Whether a reference can be computed depends only on the case, the same on every rank. */
    if (!computed) g_holds.valid = 0;
  }
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
  const struct SharedHolds want = {1,       2,           dtype, ultraccSum, first_source,
                                   sources, v->rs->salt, n,     shared};
  if (!HoldsOrClaim(&want)) {
    size_t from, to;
    Slice(v, total, &from, &to);
    pthread_barrier_wait(&shared->barrier);
    for (size_t j = from / n; j < (size_t)sources && j * n < to; ++j) {
      const size_t lo = from > j * n ? from - j * n : 0, hi = to < (j + 1) * n ? to - j * n : n;
      struct Buffer block = {shared->data + j * n * size, n, dtype, 0, 0, 0};
      FillInput(&block, ultraccSum, first_source + (int)j, lo, hi - lo, v->rs->salt);
    }
    pthread_barrier_wait(&shared->barrier);
  }
  if (!check || memcmp(out, shared->data, total * size) == 0) return;
  const size_t wrong_before = v->wrong;
  size_t k = 0;
  while (k < total && memcmp((const char*)out + k * size, shared->data + k * size, size) == 0) ++k;
  for (int j = 0; j < sources; ++j) {
    ExpectInputs(v, name, out, dtype, (size_t)j * n, ultraccSum, first_source + j, 0, n);
  }
  ExpectRecheckFound(v, wrong_before, name, k);
}

/* The expected values of this thread's last ExpectReducedRangeKept, and what they were for. */
static _Thread_local struct {
  char* data;
  size_t capacity;
  uint32_t salt;
  int dtype, op, world, rank, valid;
  size_t first, n;
} g_kept;

void ExpectReducedRangeKept(struct Verify* v, const char* name, const void* out, int dtype, int op,
                            size_t first, size_t n) {
  const struct RankState* rs = v->rs;
  const size_t size = Dtype(dtype)->is_float ? sizeof(struct Interval) : Dtype(dtype)->size;
  const int same = g_kept.valid && g_kept.salt == rs->salt && g_kept.dtype == dtype &&
                   g_kept.op == op && g_kept.world == rs->shape.world && g_kept.rank == rs->rank &&
                   g_kept.first == first && g_kept.n == n;
  if (!same) {
    g_kept.valid = 0;
    if (n * size > g_kept.capacity) {
      char* grown = BlockAlloc(n * size);
      if (grown == NULL) {
        ExpectReducedRange(v, name, out, dtype, op, first, n);
        return;
      }
      BlockFree(g_kept.data, g_kept.capacity);
      g_kept.data = grown;
      g_kept.capacity = n * size;
    }
    if (n == 0 || !ComputeReduced(g_kept.data, first, dtype, op, &rs->shape, rs->salt,
                                  SharedInputs(v, dtype, op, first + n), first, first + n)) {
      ExpectReducedRange(v, name, out, dtype, op, first, n);
      return;
    }
    g_kept.salt = rs->salt;
    g_kept.dtype = dtype;
    g_kept.op = op;
    g_kept.world = rs->shape.world;
    g_kept.rank = rs->rank;
    g_kept.first = first;
    g_kept.n = n;
    g_kept.valid = 1;
  }
  const size_t k = FirstOutsideExpected(out, g_kept.data, dtype, n);
  if (k == n) return;
  const size_t wrong_before = v->wrong;
  ExpectReducedRange(v, name, out, dtype, op, first, n);
  ExpectRecheckFound(v, wrong_before, name, k);
}

void ReleaseKeptExpected(void) {
  BlockFree(g_kept.data, g_kept.capacity);
  g_kept.data = NULL;
  g_kept.capacity = 0;
  g_kept.valid = 0;
}
