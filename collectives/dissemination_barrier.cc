// Dissemination barrier schedule generation.
#include "collectives/dissemination_barrier.h"

namespace ultracc::collectives {

Schedule DisseminationBarrier(int rank, int size) {
  Schedule schedule;
  schedule.rank = rank;
  schedule.size = size;
  const BufferRef nothing{.buffer = BufferId::kOutput, .offset = 0};
  int round = 0;
  for (int d = 1; d < size; d *= 2, ++round) {
    schedule.steps.push_back(Step::Send(round, (rank + d) % size, nothing, 0));
    schedule.steps.push_back(Step::Recv(round, (rank - d + size) % size, nothing, 0));
  }
  return schedule;
}

}  // namespace ultracc::collectives
