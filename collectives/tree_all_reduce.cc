// Tree all-reduce: reduce to rank 0, then broadcast, composed from binomial_tree.h.
#include "collectives/tree_all_reduce.h"

#include "collectives/binomial_tree.h"

namespace ultracc::collectives {

Schedule TreeAllReduce(int rank, int size, size_t count) {
  Schedule schedule = BinomialTreeReduce(rank, size, /*root=*/0, count);
  AppendShifted(BinomialTreeBroadcast(rank, size, /*root=*/0, count), BinomialTreeRounds(size),
                &schedule);
  return schedule;
}

}  // namespace ultracc::collectives
