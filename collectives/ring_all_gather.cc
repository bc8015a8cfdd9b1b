// Ring all-gather schedule generation.
#include "collectives/ring_all_gather.h"

#include "collectives/ring.h"

namespace ultracc::collectives {

Schedule RingAllGather(int rank, int size, size_t block_count, const RingOrder& order) {
  Schedule schedule;
  schedule.rank = rank;
  schedule.size = size;
  schedule.input_elements = static_cast<size_t>(size) * block_count;
  schedule.output_elements = schedule.input_elements;
  if (size <= 1 || block_count == 0) return schedule;
  const int at = order.PositionOf(rank);
  const int next = order.At(at + 1, size);
  const int prev = order.At(at - 1, size);
  auto block = [&](int position) {
    return BufferRef{.buffer = BufferId::kOutput,
                     .offset = static_cast<size_t>(order.At(position, size)) * block_count};
  };
  for (int s = 0; s < size - 1; ++s) {
    schedule.steps.push_back(Step::Send(s, next, block(at - s), block_count));
    schedule.steps.push_back(Step::Recv(s, prev, block(at - s - 1), block_count));
  }
  return schedule;
}

}  // namespace ultracc::collectives
