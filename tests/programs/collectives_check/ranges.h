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

/* An expected floating output: acceptable when |value - exact| <= tolerance. */
struct Interval {
  double exact, tolerance;
};

/* Writes elements [from, to) of the reduction with `op` of every rank's inputs at the same
 * indices, in case `salt` (read from `rows` when not NULL, see SharedInputs), to `expected`, whose
 * first entry is element `base`: for integers the result in the element type, for floats one
 * struct Interval per element, with the bounds ExpectReducedRange applies. Returns 0 if `shape`
 * has more ranks than the reference handles. */
int ComputeReduced(void *expected, size_t base, int dtype, int op, const struct Shape *shape,
                   uint32_t salt, const char *const *rows, size_t from, size_t to);

/* The index of the first of elements [0, n) of `out` that `expected` (ComputeReduced's layout)
 * does not accept, or n. */
size_t FirstOutsideExpected(const void *out, const void *expected, int dtype, size_t n);

#endif /* COLLECTIVES_CHECK_RANGES_H_ */
