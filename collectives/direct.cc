// Direct (every peer at once) schedule generation.
#include "collectives/direct.h"

#include <vector>

#include "collectives/ring.h"

namespace ultracc::collectives {
namespace {

Schedule Empty(int rank, int size, size_t elements) {
  Schedule schedule;
  schedule.rank = rank;
  schedule.size = size;
  schedule.input_elements = elements;
  schedule.output_elements = elements;
  return schedule;
}

BufferRef Out(size_t offset) { return BufferRef{.buffer = BufferId::kOutput, .offset = offset}; }

// Reduce-scatter of `blocks` (block j belongs to rank j) into `schedule`, starting at round
// `round`; returns the next free round. Peers are visited from rank + 1 on, so that at any moment
// the size - 1 messages go to distinct ranks and no rank is everyone's first target.
int AddReduceScatter(Schedule& schedule, const std::vector<ElementRange>& blocks, int round) {
  const int rank = schedule.rank, size = schedule.size;
  const ElementRange own = blocks[rank];
  if (own.count > 0) schedule.scratch_elements = (size - 1) * own.count;
  for (int s = 1; s < size; ++s) {
    const int to = (rank + s) % size;
    if (blocks[to].count > 0) {
      schedule.steps.push_back(Step::Send(round, to, Out(blocks[to].offset), blocks[to].count));
    }
  }
  if (own.count == 0) return round + 1;
  for (int s = 1; s < size; ++s) {
    const int from = (rank + s) % size;
    schedule.steps.push_back(
        Step::Recv(round, from, {BufferId::kScratch, (s - 1) * own.count}, own.count));
  }
  for (int s = 1; s < size; ++s) {
    schedule.steps.push_back(Step::Reduce(round + s, {BufferId::kScratch, (s - 1) * own.count},
                                          Out(own.offset), own.count));
  }
  return round + size;
}

void AddAllGather(Schedule& schedule, const std::vector<ElementRange>& blocks, int round) {
  const int rank = schedule.rank, size = schedule.size;
  for (int s = 1; s < size; ++s) {
    const int to = (rank + s) % size;
    if (blocks[rank].count > 0) {
      schedule.steps.push_back(Step::Send(round, to, Out(blocks[rank].offset), blocks[rank].count));
    }
  }
  for (int s = 1; s < size; ++s) {
    const int from = (rank + s) % size;
    if (blocks[from].count > 0) {
      schedule.steps.push_back(
          Step::Recv(round, from, Out(blocks[from].offset), blocks[from].count));
    }
  }
}

std::vector<ElementRange> EqualBlocks(int size, size_t block_count) {
  std::vector<ElementRange> blocks;
  for (int j = 0; j < size; ++j) blocks.push_back({j * block_count, block_count});
  return blocks;
}

}  // namespace

Schedule DirectReduceScatter(int rank, int size, size_t block_count) {
  Schedule schedule = Empty(rank, size, size * block_count);
  if (size <= 1 || block_count == 0) return schedule;
  AddReduceScatter(schedule, EqualBlocks(size, block_count), 0);
  return schedule;
}

Schedule DirectAllGather(int rank, int size, size_t block_count) {
  Schedule schedule = Empty(rank, size, size * block_count);
  if (size <= 1 || block_count == 0) return schedule;
  AddAllGather(schedule, EqualBlocks(size, block_count), 0);
  return schedule;
}

Schedule DirectAllReduce(int rank, int size, size_t count) {
  Schedule schedule = Empty(rank, size, count);
  if (size <= 1 || count == 0) return schedule;
  std::vector<ElementRange> chunks;
  for (int j = 0; j < size; ++j) chunks.push_back(BalancedChunk(count, size, j));
  // Every rank must use the same round numbers; ranks whose chunk is empty skip the fold rounds.
  AddReduceScatter(schedule, chunks, 0);
  AddAllGather(schedule, chunks, size);
  return schedule;
}

Schedule DirectAllToAll(int rank, int size, const AllToAllLayout& layout) {
  Schedule schedule;
  schedule.rank = rank;
  schedule.size = size;
  schedule.input_elements = layout.InputExtent();
  schedule.output_elements = layout.OutputExtent();
  if (layout.send_counts[rank] > 0) {
    schedule.steps.push_back(Step::Copy(0, {BufferId::kInput, layout.send_displs[rank]},
                                        Out(layout.recv_displs[rank]), layout.send_counts[rank]));
  }
  for (int s = 1; s < size; ++s) {
    const int to = (rank + s) % size;
    schedule.steps.push_back(
        Step::Send(0, to, {BufferId::kInput, layout.SendOffset(to)}, layout.send_counts[to]));
  }
  for (int s = 1; s < size; ++s) {
    const int from = (rank + size - s) % size;
    schedule.steps.push_back(
        Step::Recv(0, from, Out(layout.RecvOffset(from)), layout.recv_counts[from]));
  }
  return schedule;
}

Schedule DirectBroadcast(int rank, int size, int root, size_t count) {
  Schedule schedule = Empty(rank, size, count);
  if (size <= 1 || count == 0) return schedule;
  if (rank == root) {
    for (int s = 1; s < size; ++s) {
      schedule.steps.push_back(Step::Send(0, (root + s) % size, Out(0), count));
    }
  } else {
    schedule.steps.push_back(Step::Recv(0, root, Out(0), count));
  }
  return schedule;
}

}  // namespace ultracc::collectives
