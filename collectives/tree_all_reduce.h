// Tree all-reduce for small messages: a binomial-tree reduce to rank 0 followed by a binomial-tree
// broadcast from it. 2 ceil(log2 size) rounds of whole-buffer messages; every reduction happens on
// the way up, so each result element is rounded at most ceil(log2 size) times.
#pragma once

#include <cstddef>

#include "collectives/schedule.h"

namespace ultracc::collectives {

// All-reduce of `count` elements in place in kOutput.
Schedule TreeAllReduce(int rank, int size, size_t count);

}  // namespace ultracc::collectives
