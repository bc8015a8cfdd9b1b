/*
 * shared_expected.h — expected outputs computed once per process and shared by the thread-ranks
 * of embedded mode. All-reduce, reduce, broadcast and all-gather leave the same output on every
 * rank that receives one; instead of each rank recomputing it from every rank's inputs (world
 * times the work, and at 2^20 + 3 elements the checking outweighed the collective), each rank
 * computes a slice into one buffer and then compares its own output with the whole of it.
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

#endif /* COLLECTIVES_CHECK_SHARED_EXPECTED_H_ */
