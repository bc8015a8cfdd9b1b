// Ring all-reduce schedule generation.
#include "collectives/ring.h"

namespace ultracc::collectives {

int RingPosition(int value, int size) { return ((value % size) + size) % size; }

ElementRange BalancedChunk(size_t count, int parts, int index) {
  const size_t n = static_cast<size_t>(parts);
  const size_t i = static_cast<size_t>(index);
  const size_t base = count / n;
  const size_t extra = count % n;
  return {.offset = i * base + (i < extra ? i : extra), .count = base + (i < extra ? 1 : 0)};
}

Schedule RingAllReduce(int rank, int size, size_t count) {
  Schedule schedule;
  schedule.rank = rank;
  schedule.size = size;
  schedule.input_elements = count;
  schedule.output_elements = count;
  if (size <= 1 || count == 0) return schedule;
  const int next = RingPosition(rank + 1, size);
  const int prev = RingPosition(rank - 1, size);
  auto add_transfer = [&](StepKind kind, int round, int chunk_index) {
    const ElementRange chunk = BalancedChunk(count, size, chunk_index);
    if (chunk.count == 0) return;
    const BufferRef ref{.buffer = BufferId::kOutput, .offset = chunk.offset};
    switch (kind) {
      case StepKind::kSend:
        schedule.steps.push_back(Step::Send(round, next, ref, chunk.count));
        break;
      case StepKind::kRecvReduce:
        schedule.steps.push_back(Step::RecvReduce(round, prev, ref, chunk.count));
        break;
      default:
        schedule.steps.push_back(Step::Recv(round, prev, ref, chunk.count));
        break;
    }
  };
  for (int s = 0; s < size - 1; ++s) {
    add_transfer(StepKind::kSend, s, RingPosition(rank - s, size));
    add_transfer(StepKind::kRecvReduce, s, RingPosition(rank - s - 1, size));
  }
  for (int s = 0; s < size - 1; ++s) {
    const int round = size - 1 + s;
    add_transfer(StepKind::kSend, round, RingPosition(rank + 1 - s, size));
    add_transfer(StepKind::kRecv, round, RingPosition(rank - s, size));
  }
  return schedule;
}

}  // namespace ultracc::collectives
