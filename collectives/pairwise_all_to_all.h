// Pairwise-exchange all-to-all(v): size - 1 rounds, in round s rank r sends its block for r + s and
// receives the block from r - s. One peer per round keeps every link busy with one large message,
// the shape for large blocks; works for variable counts (all-to-allv) unchanged.
#pragma once

#include "collectives/all_to_all_layout.h"
#include "collectives/schedule.h"

namespace ultracc::collectives {

// Reads kInput, writes kOutput (which must not alias kInput) as `layout` places the blocks. The
// rank's own block is a local copy in round 0. Every pair of ranks exchanges one message in each
// direction, even an empty one, so counts that disagree between sender and receiver fail as a size
// mismatch instead of going unnoticed.
Schedule PairwiseAllToAll(int rank, int size, const AllToAllLayout& layout);

}  // namespace ultracc::collectives
