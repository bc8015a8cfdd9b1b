// Ring all-reduce: the bandwidth-optimal reduce-scatter + all-gather ring (Patarasuk & Yuan), as
// peer and offset arithmetic only. Each of the `size` ranks moves 2 (size - 1) / size of the data.
#pragma once

#include <cstddef>

#include "collectives/schedule.h"

namespace ultracc::collectives {

// The elements [offset, offset + count) of chunk `index` when `count` elements are cut into `parts`
// near-equal chunks: the first count % parts chunks hold one element more, so when count < parts
// the last chunks are empty.
struct ElementRange {
  size_t offset = 0;
  size_t count = 0;
};
ElementRange BalancedChunk(size_t count, int parts, int index);

// `value` reduced into [0, size): the position on a ring of `size` ranks, for offsets like
// rank - s that go negative.
int RingPosition(int value, int size);

// The schedule of `rank` in a ring of `size` ranks all-reducing `count` elements in place in
// kOutput (whoever runs it out of place copies the input to the output first). Rounds 0..size-2
// reduce-scatter: rank r sends chunk r - s to r + 1 and receive-reduces chunk r - s - 1 from r - 1,
// so it ends holding the full result of chunk r + 1; rounds size-1..2 size-3 circulate the
// finished chunks. Messages of empty chunks are left out on both sides.
Schedule RingAllReduce(int rank, int size, size_t count);

}  // namespace ultracc::collectives
