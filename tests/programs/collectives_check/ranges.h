/*
 * ranges.h — the element loops of collectives_check over whole ranges of a
 * buffer: filling inputs, checking that a range holds some rank's inputs, and
 * checking reduced outputs against the reference. Each loop is compiled once
 * per dtype (and op), since at 2^20 + 3 elements per rank the checking, not the
 * collective, decided how long a case took. Every element is compared; a
 * mismatch is reported through verify.c with the per-element reference's
 * message.
 */
#ifndef COLLECTIVES_CHECK_RANGES_H_
#define COLLECTIVES_CHECK_RANGES_H_

#include <stddef.h>
#include <stdint.h>

#include "verify.h"

/* Writes InputBits(dtype, op, rank, first + i, salt) to elements [first, first
 * + n) of `b`. */
void FillInput(struct Buffer *b, int op, int rank, size_t first, size_t n, uint32_t salt);

/* Elements [at, at + n) of `p` (named `name`) hold the inputs of rank `source`
 * for `op` at indices [source_first, source_first + n) of the current case. */
void ExpectInputs(struct Verify *v, const char *name, const void *p, int dtype, size_t at, int op,
                  int source, size_t source_first, size_t n);

/* Elements [0, n) of `out` are the reductions with `op` of every rank's inputs
 * at indices [source_first, source_first + n). */
void ExpectReducedRange(struct Verify *v, const char *name, const void *out, int dtype, int op,
                        size_t source_first, size_t n);

#endif /* COLLECTIVES_CHECK_RANGES_H_ */
