// Ring reduce-scatter: the first half of the bandwidth-optimal ring all-reduce, as peer and offset
// arithmetic only. Each of the `size` ranks sends (size - 1) blocks, one per round, to its
// successor.
#pragma once

#include <cstddef>

#include "collectives/ring.h"
#include "collectives/schedule.h"

namespace ultracc::collectives {

// The schedule of `rank` in a ring of `size` ranks reduce-scattering in place in kOutput, which
// holds `size` blocks of `block_count` elements (block b at b * block_count). Rank r ends with the
// full reduction of block r in place. In round s rank r sends block r - s - 1 to r + 1 and
// receive-reduces block r - s - 2 from r - 1, so the partial sum it forwards is always the one it
// just extended. No steps when size == 1 or block_count == 0.
// With a ring `order` (ring.h) positions replace ranks in that arithmetic and block indices are
// the members at those positions, so every rank still ends with its own block.
Schedule RingReduceScatter(int rank, int size, size_t block_count, const RingOrder& order = {});

}  // namespace ultracc::collectives
