// Recursive halving-doubling (Rabenseifner; Thakur, Rabenseifner & Gropp 2005) as peer and offset
// arithmetic only: reduce-scatter by recursive halving, all-gather by recursive doubling, and
// all-reduce as the two back to back. log2 rounds instead of the ring's size - 1, at the same
// bandwidth cost, so it wins for small and medium messages.
//
// Sizes that are not a power of two: with p the largest power of two <= size and extra = size - p,
// the first 2 * extra ranks pair up (2i, 2i + 1). Before the power-of-two part, even rank 2i folds
// its data into 2i + 1 (one message), and sits out; after it, 2i + 1 hands 2i its result. The
// remaining p ranks ("virtual ranks" 0..p-1: 2i + 1 is virtual rank i, rank r >= 2 extra is
// r - extra) run the power-of-two algorithm over contiguous ranges. In the reduce-scatter and
// all-gather a virtual rank's range covers the blocks of the real ranks it stands for, so both
// fix-ups move only what the even rank lacks.
#pragma once

#include <cstddef>

#include "collectives/schedule.h"

namespace ultracc::collectives {

// All-reduce of `count` elements in place in kOutput; every rank ends with the full result.
Schedule HalvingDoublingAllReduce(int rank, int size, size_t count);

// Reduce-scatter in place in kOutput of `size` blocks of `block_count` elements (block b at
// b * block_count): rank r ends with the full reduction of block r. Other blocks are left with
// partial results.
Schedule HalvingDoublingReduceScatter(int rank, int size, size_t block_count);

// All-gather in place in kOutput: rank r starts with block r and ends with every block.
Schedule HalvingDoublingAllGather(int rank, int size, size_t block_count);

}  // namespace ultracc::collectives
