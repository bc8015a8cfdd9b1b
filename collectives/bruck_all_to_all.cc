// Bruck all-to-all schedule generation.
#include "collectives/bruck_all_to_all.h"

#include <vector>

namespace ultracc::collectives {

Schedule BruckAllToAll(int rank, int size, size_t count) {
  const size_t n = static_cast<size_t>(size);
  Schedule schedule;
  schedule.rank = rank;
  schedule.size = size;
  schedule.input_elements = n * count;
  schedule.output_elements = n * count;
  if (count == 0) return schedule;
  schedule.scratch_elements = size > 1 ? 3 * n * count : 0;
  const size_t parked = 0, outgoing = n * count, incoming = 2 * n * count;
  auto scratch = [&](size_t offset) { return BufferRef{BufferId::kScratch, offset}; };

  // Where block i currently is, and whether it sits in the incoming area (overwritten by the next
  // exchange unless parked first).
  std::vector<BufferRef> where(n);
  std::vector<bool> incoming_now(n, false);
  for (size_t i = 0; i < n; ++i) where[i] = {BufferId::kInput, ((rank + i) % n) * count};

  int round = 0;
  for (size_t d = 1; d < n; d *= 2, round += 2) {
    size_t packed = 0;
    std::vector<size_t> moving;
    for (size_t i = 1; i < n; ++i) {
      if (i & d) {
        schedule.steps.push_back(Step::Copy(round, where[i], scratch(outgoing + packed), count));
        moving.push_back(i);
        packed += count;
      } else if (incoming_now[i]) {
        schedule.steps.push_back(Step::Copy(round, where[i], scratch(parked + i * count), count));
        where[i] = scratch(parked + i * count);
        incoming_now[i] = false;
      }
    }
    const int to = static_cast<int>((rank + d) % n);
    const int from = static_cast<int>((rank + n - d) % n);
    schedule.steps.push_back(Step::Send(round + 1, to, scratch(outgoing), packed));
    schedule.steps.push_back(Step::Recv(round + 1, from, scratch(incoming), packed));
    for (size_t j = 0; j < moving.size(); ++j) {
      where[moving[j]] = scratch(incoming + j * count);
      incoming_now[moving[j]] = true;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    const size_t source = (rank + n - i) % n;
    schedule.steps.push_back(
        Step::Copy(round, where[i], {BufferId::kOutput, source * count}, count));
  }
  return schedule;
}

}  // namespace ultracc::collectives
