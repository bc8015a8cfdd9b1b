// Binomial-tree broadcast and reduce rooted at any rank, as peer and offset arithmetic only:
// ceil(log2 size) rounds of whole-buffer messages, the latency-optimal shape for small messages.
//
// Ranks are renumbered relative to the root (rel = rank - root mod size). In broadcast round k the
// ranks rel < 2^k that already hold the data send it to rel + 2^k; reduce runs the same tree
// backwards (round k: rel with rel mod 2^(k+1) == 2^k sends its partial result to rel - 2^k, which
// receive-reduces it).
#pragma once

#include <cstddef>

#include "collectives/schedule.h"

namespace ultracc::collectives {

// Broadcast of `count` elements in place in kOutput from `root` (whose kOutput holds the data) to
// every rank.
Schedule BinomialTreeBroadcast(int rank, int size, int root, size_t count);

// Reduce of `count` elements in place in kOutput to `root`, which ends with the full result; the
// other ranks' kOutput is left with partial results.
Schedule BinomialTreeReduce(int rank, int size, int root, size_t count);

// Rounds either of the above takes for `size` ranks: ceil(log2 size).
int BinomialTreeRounds(int size);

}  // namespace ultracc::collectives
