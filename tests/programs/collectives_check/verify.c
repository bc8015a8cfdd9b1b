/*
 * verify.c — guarded buffers and element checks of collectives_check; see verify.h.
 */
#include "verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocks.h"
#include "ranges.h"

#define LINES_PER_CASE 3

/* malloc'd buffers this thread freed, kept for its next cases: large blocks come from fresh
 * mappings otherwise, and faulting their pages in again cost more than the collectives did. */
#define POOLED_BLOCKS 3
static _Thread_local struct {
  void* p;
  size_t bytes;
} g_pool[POOLED_BLOCKS];

/* A block of at least `bytes`, whose size goes to *block_bytes. */
static void* TakeBlock(size_t bytes, size_t* block_bytes) {
  int best = -1;
  for (int i = 0; i < POOLED_BLOCKS; ++i) {
    if (g_pool[i].p != NULL && g_pool[i].bytes >= bytes &&
        (best < 0 || g_pool[i].bytes < g_pool[best].bytes)) {
      best = i;
    }
  }
  if (best < 0) {
    *block_bytes = bytes;
    return BlockAlloc(bytes);
  }
  void* p = g_pool[best].p;
  *block_bytes = g_pool[best].bytes;
  g_pool[best].p = NULL;
  return p;
}

static void ReturnBlock(void* p, size_t bytes) {
  int slot = 0;
  for (int i = 0; i < POOLED_BLOCKS; ++i) {
    if (g_pool[i].p == NULL) {
      slot = i;
      break;
    }
    if (g_pool[i].bytes < g_pool[slot].bytes) slot = i;
  }
  if (g_pool[slot].p != NULL && g_pool[slot].bytes >= bytes) {
    BlockFree(p, bytes);
    return;
  }
  BlockFree(g_pool[slot].p, g_pool[slot].bytes);
  g_pool[slot].p = p;
  g_pool[slot].bytes = bytes;
}

static void Allocate(struct Buffer* b, int dtype, size_t elems, int arena, int whole_sentinel) {
  const size_t bytes = (elems + GUARD_ELEMENTS) * Dtype(dtype)->size;
  void* p = NULL;
  size_t block_bytes = 0;
  if (arena) {
    ultraccResult_t r = ultraccMemAlloc(&p, bytes);
    if (r != ultraccSuccess) {
      fprintf(stderr, "collectives_check: ultraccMemAlloc(%zu) failed: %s\n", bytes,
              ultraccGetLastError(NULL));
      exit(1);
    }
  } else if ((p = TakeBlock(bytes, &block_bytes)) == NULL) {
    fprintf(stderr, "collectives_check: malloc(%zu) failed\n", bytes);
    exit(1);
  }
  const size_t body = whole_sentinel ? 0 : elems * Dtype(dtype)->size;
  memset((char*)p + body, SENTINEL_BYTE, bytes - body);
  b->p = p;
  b->elems = elems;
  b->dtype = dtype;
  b->arena = arena;
  b->bytes = bytes;
  b->block_bytes = block_bytes;
}

void AllocBuffer(struct Buffer* b, int dtype, size_t elems, int arena) {
  Allocate(b, dtype, elems, arena, 1);
}

void AllocInputBuffer(struct Buffer* b, int dtype, size_t elems, int arena) {
  Allocate(b, dtype, elems, arena, 0);
}

void ReleasePooledBuffers(void) {
  for (int i = 0; i < POOLED_BLOCKS; ++i) {
    BlockFree(g_pool[i].p, g_pool[i].bytes);
    g_pool[i].p = NULL;
  }
}

void FreeBuffer(struct Buffer* b) {
  if (b->p == NULL) return;
  if (b->arena) {
    ultraccMemFree(b->p);
  } else {
    ReturnBlock(b->p, b->block_bytes);
  }
  b->p = NULL;
}

void Mismatch(struct Verify* v, const char* format, ...) {
  if (v->wrong++ >= LINES_PER_CASE) return;
  char detail[512];
  va_list args;
  va_start(args, format);
  vsnprintf(detail, sizeof(detail), format, args);
  va_end(args);
  Report(v->rs, v->what, "%s", detail);
}

void ExpectBits(struct Verify* v, const char* name, size_t index, uint64_t got, uint64_t want,
                int dtype) {
  const size_t width = Dtype(dtype)->size * 8;
  const uint64_t mask = width == 64 ? ~UINT64_C(0) : (UINT64_C(1) << width) - 1;
  if (((got ^ want) & mask) == 0) return;
  char g[48], w[48];
  FormatBits(dtype, got, g, sizeof(g));
  FormatBits(dtype, want, w, sizeof(w));
  Mismatch(v, "%s[%zu] is %s, expected %s", name, index, g, w);
}

void ExpectSentinel(struct Verify* v, const char* name, const struct Buffer* b, size_t from,
                    size_t to) {
  static const unsigned char kSentinels[4096] = {[0 ... 4095] = SENTINEL_BYTE};
  const size_t size = Dtype(b->dtype)->size, block = sizeof(kSentinels) / size;
  for (size_t i = from; i < to; ++i) {
    /* Whole blocks at once while they are untouched. */
    if (to - i >= block && memcmp(b->p + i * size, kSentinels, block * size) == 0) {
      i += block - 1;
      continue;
    }
    for (size_t k = 0; k < size; ++k) {
      if ((unsigned char)b->p[i * size + k] != SENTINEL_BYTE) {
        Mismatch(v, "%s[%zu] was written (%s%s)", name, i,
                 i >= b->elems ? "past the end of " : "a region the collective must not touch",
                 i >= b->elems ? "the buffer" : "");
        break;
      }
    }
  }
}

void ExpectInput(struct Verify* v, const char* name, const struct Buffer* b, int op, size_t first,
                 size_t n) {
  ExpectInputs(v, name, b->p, b->dtype, first, op, v->rs->rank, first, n);
}

void ExpectReduced(struct Verify* v, const char* name, size_t index, uint64_t got, int dtype,
                   int op, size_t source_index) {
  uint64_t inputs[256];
  const int world = v->rs->shape.world;
  if (world > 256) {
    Mismatch(v, "more than 256 ranks; the reference cannot check this");
    return;
  }
  for (int r = 0; r < world; ++r) inputs[r] = InputBits(dtype, op, r, source_index, v->rs->salt);
  char expected[96];
  if (CheckReduced(dtype, op, &v->rs->shape, inputs, got, expected, sizeof(expected))) return;
  char g[48];
  FormatBits(dtype, got, g, sizeof(g));
  Mismatch(v, "%s[%zu] is %s, expected %s", name, index, g, expected);
}

int ExpectSuccess(struct Verify* v, ultraccResult_t result, ultraccStream_t stream) {
  if (result == ultraccSuccess && stream != NULL) result = ultraccStreamSynchronize(stream);
  if (result == ultraccSuccess) return 1;
  Mismatch(v, "returned %s (%d): %s", ultraccGetErrorString(result), (int)result,
           ultraccGetLastError(v->rs->comm));
  return 0;
}

int FinishCase(struct Verify* v) {
  if (v->wrong > LINES_PER_CASE) {
    Report(v->rs, v->what, "%zu mismatches in all", v->wrong);
  }
  v->rs->tally->cases++;
  if (v->wrong == 0) return 1;
  v->rs->tally->failures++;
  return 0;
}
