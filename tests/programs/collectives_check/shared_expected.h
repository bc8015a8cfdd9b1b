/*
 * shared_expected.h — expected outputs computed once per process and shared by the thread-ranks
 * of embedded mode. All-reduce, reduce, broadcast and all-gather leave the same output on every
 * rank that receives one; instead of each rank recomputing it from every rank's inputs (world
 * times the work, and at 2^20 + 3 elements the checking outweighed the collective), each rank
 * computes a slice into one buffer and then compares its own output with the whole of it.
 * Likewise every rank publishes the input it generated for a case, so that references and checks
 * of unchanged or moved inputs read those rows instead of generating them again.
 */
#ifndef COLLECTIVES_CHECK_SHARED_EXPECTED_H_
#define COLLECTIVES_CHECK_SHARED_EXPECTED_H_

#include <stddef.h>

#include "verify.h"

struct SharedExpected;

/* For `world` thread-ranks, with room for cases of up to `max_count` elements per block. */
struct SharedExpected* SharedExpectedCreate(int world, size_t max_count);
void SharedExpectedDestroy(struct SharedExpected* shared);

/* Elements [0, n) of `out` are the reduction with `op` of every rank's inputs at [0, n). When the
 * rank state shares expected outputs, every rank of the communicator calls this for the case,
 * whatever its collective returned; `check` = 0 leaves out only this rank's comparison. */
void ExpectReducedEverywhere(struct Verify* v, int check, const char* name, const void* out,
                             int dtype, int op, size_t n);

/* `out` holds `sources` blocks of n elements, block j the Sum inputs at [0, n) of rank
 * first_source + j (broadcast: the root's; all-gather: every rank's). Called as above. */
void ExpectGathered(struct Verify* v, int check, const char* name, const void* out, int dtype,
                    int first_source, int sources, size_t n);

/* Elements [0, n) of `out` are the reduction with `op` of every rank's inputs at [first, first +
 * n), as ExpectReducedRange checks, against expected values this thread keeps for the next case
 * with the same inputs, op and range (reduce-scatter's other placement computes none). A rejected
 * output is checked again by ExpectReducedRange, which names the wrong elements. */
void ExpectReducedRangeKept(struct Verify* v, const char* name, const void* out, int dtype, int op,
                            size_t first, size_t n);

/* Frees what ExpectReducedRangeKept keeps; at the end of a thread-rank. */
void ReleaseKeptExpected(void);

/* Fills elements [0, b->elems) of `b` with this rank's inputs for `op` (FillInput), copied from
 * its row when an earlier case of the same inputs left them there, and publishes them as this
 * rank's row of the current case. Every rank of the communicator calls this or ShareInput in the
 * same cases, before the collective that may change `b`. */
void FillAndShareInput(struct Verify* v, struct Buffer* b, int op);

/* Publishes `b`, whose filled elements hold this rank's inputs for `op`, as its row (as above). */
void ShareInput(struct Verify* v, struct Buffer* b, int op);

/* Every rank's published row of the current case when each was filled for `dtype` and `op` and
 * holds at least `elems` elements, else NULL (the caller then generates inputs itself). A row is
 * an image of the buffer: ask only for indices the case filled. */
const char* const* SharedInputs(const struct Verify* v, int dtype, int op, size_t elems);

#endif /* COLLECTIVES_CHECK_SHARED_EXPECTED_H_ */
