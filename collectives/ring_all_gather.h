// Ring all-gather: the second half of the bandwidth-optimal ring all-reduce, as peer and offset
// arithmetic only. Each rank forwards what it last received to its successor, size - 1 times.
#pragma once

#include <cstddef>

#include "collectives/ring.h"
#include "collectives/schedule.h"

namespace ultracc::collectives {

// The schedule of `rank` in a ring of `size` ranks all-gathering in place in kOutput, which holds
// `size` blocks of `block_count` elements; rank r starts with its own block r in place and ends
// with every block. In round s rank r sends block r - s to r + 1 and receives block r - s - 1 from
// r - 1. No steps when size == 1 or block_count == 0.
// With a ring `order` (ring.h) positions replace ranks in that arithmetic and block indices are
// the members at those positions.
Schedule RingAllGather(int rank, int size, size_t block_count, const RingOrder& order = {});

}  // namespace ultracc::collectives
