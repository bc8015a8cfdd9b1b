// Ring all-reduce schedule generation.
#include "collectives/ring.h"

#include "absl/strings/str_format.h"

namespace ultracc::collectives {

int RingPosition(int value, int size) { return ((value % size) + size) % size; }

absl::StatusOr<RingOrder> RingOrder::Of(std::vector<int> members) {
  const int n = static_cast<int>(members.size());
  std::vector<int> positions(members.size(), -1);
  for (int p = 0; p < n; ++p) {
    const int m = members[p];
    if (m < 0 || m >= n || positions[m] >= 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "a ring order of %d members must hold each of 0..%d once; position %d holds %d", n, n - 1,
          p, m));
    }
    positions[m] = p;
  }
  RingOrder order;
  order.members_ = std::move(members);
  order.positions_ = std::move(positions);
  return order;
}

int RingOrder::At(int position, int size) const {
  const int p = RingPosition(position, size);
  return natural() ? p : members_[p];
}

ElementRange BalancedChunk(size_t count, int parts, int index) {
  const size_t n = static_cast<size_t>(parts);
  const size_t i = static_cast<size_t>(index);
  const size_t base = count / n;
  const size_t extra = count % n;
  return {.offset = i * base + (i < extra ? i : extra), .count = base + (i < extra ? 1 : 0)};
}

Schedule RingAllReduce(int rank, int size, size_t count, const RingOrder& order) {
  Schedule schedule;
  schedule.rank = rank;
  schedule.size = size;
  schedule.input_elements = count;
  schedule.output_elements = count;
  if (size <= 1 || count == 0) return schedule;
  const int at = order.PositionOf(rank);
  const int next = order.At(at + 1, size);
  const int prev = order.At(at - 1, size);
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
    add_transfer(StepKind::kSend, s, RingPosition(at - s, size));
    add_transfer(StepKind::kRecvReduce, s, RingPosition(at - s - 1, size));
  }
  for (int s = 0; s < size - 1; ++s) {
    const int round = size - 1 + s;
    add_transfer(StepKind::kSend, round, RingPosition(at + 1 - s, size));
    add_transfer(StepKind::kRecv, round, RingPosition(at - s, size));
  }
  return schedule;
}

}  // namespace ultracc::collectives
