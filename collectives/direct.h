// Direct algorithms: every rank talks to every peer at once, in one or two rounds of size - 1
// concurrent messages. The shape an all-to-all switch favours (NeuronSwitch inside an
// UltraServer): no forwarding through intermediate ranks, latency of one hop per phase, at the
// cost of size - 1 concurrent messages per rank.
//
// Reductions receive every peer's contribution into scratch in the exchange round and then fold
// them into the result one local round per peer (rounds run in order and steps of a round must
// not write the same elements). The fold order is the peers' order starting after this rank, so
// each element is rounded once per peer, like the ring.
#pragma once

#include <cstddef>

#include "collectives/all_to_all_layout.h"
#include "collectives/schedule.h"

namespace ultracc::collectives {

// Reduce-scatter in place in kOutput of `size` blocks of `block_count`; rank r ends with the full
// reduction of block r. Scratch: (size - 1) * block_count.
Schedule DirectReduceScatter(int rank, int size, size_t block_count);

// All-gather in place in kOutput: rank r starts with block r and ends with all. One round.
Schedule DirectAllGather(int rank, int size, size_t block_count);

// All-reduce of `count` elements in place in kOutput: direct reduce-scatter over near-equal chunks
// (see BalancedChunk), then direct all-gather of the reduced chunks.
Schedule DirectAllReduce(int rank, int size, size_t count);

// All-to-all(v) from kInput to kOutput (which must not alias) as `layout` places the blocks; one
// round, one message per peer and direction even when empty (see pairwise_all_to_all.h).
Schedule DirectAllToAll(int rank, int size, const AllToAllLayout& layout);

// Broadcast of `count` elements in place in kOutput: `root` sends to every peer in one round.
Schedule DirectBroadcast(int rank, int size, int root, size_t count);

}  // namespace ultracc::collectives
