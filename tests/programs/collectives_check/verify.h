/*
 * verify.h — buffers with guard elements and element-wise verification for collectives_check.
 * Every buffer is followed by guard elements and starts filled with a sentinel byte, so writes
 * past an output's end or into regions a collective must leave alone are caught.
 */
#ifndef COLLECTIVES_CHECK_VERIFY_H_
#define COLLECTIVES_CHECK_VERIFY_H_

#include <stddef.h>
#include <stdint.h>

#include "check.h"

#define GUARD_ELEMENTS 8
#define SENTINEL_BYTE 0xA5

struct Buffer {
  char* p;
  size_t elems; /* usable elements; GUARD_ELEMENTS more follow */
  int dtype;
  int arena;   /* from ultraccMemAlloc, else malloc */
  size_t bytes; /* allocated, guard included */
  size_t block_bytes; /* malloc'd buffers: the size of the pooled block that holds them */
};

/* Allocates `elems` (+ guard) elements filled with the sentinel; exits the process if memory runs
 * out, as nothing else can be checked then. */
void AllocBuffer(struct Buffer* b, int dtype, size_t elems, int arena);
/* The same for a buffer whose elements are all about to be filled: only the guard gets the
 * sentinel (writing it over the body too cost as much as a copy of the buffer per case). */
void AllocInputBuffer(struct Buffer* b, int dtype, size_t elems, int arena);
void FreeBuffer(struct Buffer* b);
/* Frees the malloc'd blocks this thread keeps for reuse (FreeBuffer keeps a few). */
void ReleasePooledBuffers(void);

/* The mismatches of one case: the first few are printed, all are counted. */
struct Verify {
  struct RankState* rs;
  const char* what;
  size_t wrong;
};

/* Counts a wrong element (or call); prints the first few of a case. */
void Mismatch(struct Verify* v, const char* format, ...) __attribute__((format(printf, 2, 3)));
void ExpectBits(struct Verify* v, const char* name, size_t index, uint64_t got, uint64_t want,
                int dtype);
/* Elements [from, to) of `b` still hold the sentinel. */
void ExpectSentinel(struct Verify* v, const char* name, const struct Buffer* b, size_t from,
                    size_t to);
/* Elements [first, first + n) of `b` still hold this rank's input (a buffer only read). */
void ExpectInput(struct Verify* v, const char* name, const struct Buffer* b, int op, size_t first,
                 size_t n);
/* `got` (element `index` of `name`) is the reduction of every rank's input at `source_index`. */
void ExpectReduced(struct Verify* v, const char* name, size_t index, uint64_t got, int dtype,
                   int op, size_t source_index);
/* Checks a call's result (synchronizing `stream` first when it is not NULL); reports failures. */
int ExpectSuccess(struct Verify* v, ultraccResult_t result, ultraccStream_t stream);
/* Counts the case; returns 1 when nothing was wrong. */
int FinishCase(struct Verify* v);

#endif /* COLLECTIVES_CHECK_VERIFY_H_ */
