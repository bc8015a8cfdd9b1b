// Pairwise-exchange all-to-all schedule generation.
#include "collectives/pairwise_all_to_all.h"

namespace ultracc::collectives {

Schedule PairwiseAllToAll(int rank, int size, const AllToAllLayout& layout) {
  Schedule schedule;
  schedule.rank = rank;
  schedule.size = size;
  schedule.input_elements = layout.InputExtent();
  schedule.output_elements = layout.OutputExtent();
  if (layout.send_counts[rank] > 0) {
    schedule.steps.push_back(Step::Copy(0, {BufferId::kInput, layout.send_displs[rank]},
                                        {BufferId::kOutput, layout.recv_displs[rank]},
                                        layout.send_counts[rank]));
  }
  for (int s = 1; s < size; ++s) {
    const int to = (rank + s) % size;
    const int from = (rank - s + size) % size;
    schedule.steps.push_back(
        Step::Send(s - 1, to, {BufferId::kInput, layout.SendOffset(to)}, layout.send_counts[to]));
    schedule.steps.push_back(Step::Recv(s - 1, from, {BufferId::kOutput, layout.RecvOffset(from)},
                                        layout.recv_counts[from]));
  }
  return schedule;
}

}  // namespace ultracc::collectives
