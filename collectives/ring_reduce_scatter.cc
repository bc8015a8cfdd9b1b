// Ring reduce-scatter schedule generation.
#include "collectives/ring_reduce_scatter.h"

#include "collectives/ring.h"

namespace ultracc::collectives {

Schedule RingReduceScatter(int rank, int size, size_t block_count) {
  Schedule schedule;
  schedule.rank = rank;
  schedule.size = size;
  schedule.input_elements = static_cast<size_t>(size) * block_count;
  schedule.output_elements = schedule.input_elements;
  if (size <= 1 || block_count == 0) return schedule;
  const int next = RingPosition(rank + 1, size);
  const int prev = RingPosition(rank - 1, size);
  auto block = [&](int index) {
    return BufferRef{.buffer = BufferId::kOutput,
                     .offset = static_cast<size_t>(RingPosition(index, size)) * block_count};
  };
  for (int s = 0; s < size - 1; ++s) {
    schedule.steps.push_back(Step::Send(s, next, block(rank - s - 1), block_count));
    schedule.steps.push_back(Step::RecvReduce(s, prev, block(rank - s - 2), block_count));
  }
  return schedule;
}

}  // namespace ultracc::collectives
