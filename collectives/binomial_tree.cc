// Binomial-tree broadcast and reduce schedule generation.
#include "collectives/binomial_tree.h"

namespace ultracc::collectives {
namespace {

Schedule Empty(int rank, int size, size_t count) {
  Schedule schedule;
  schedule.rank = rank;
  schedule.size = size;
  schedule.input_elements = count;
  schedule.output_elements = count;
  return schedule;
}

constexpr BufferRef kWhole{.buffer = BufferId::kOutput, .offset = 0};

}  // namespace

int BinomialTreeRounds(int size) {
  int rounds = 0;
  while ((1 << rounds) < size) ++rounds;
  return rounds;
}

Schedule BinomialTreeBroadcast(int rank, int size, int root, size_t count) {
  Schedule schedule = Empty(rank, size, count);
  if (size <= 1 || count == 0) return schedule;
  const int rel = (rank - root + size) % size;
  auto real = [&](int relative) { return (relative + root) % size; };
  for (int k = 0; k < BinomialTreeRounds(size); ++k) {
    const int d = 1 << k;
    if (rel < d && rel + d < size) {
      schedule.steps.push_back(Step::Send(k, real(rel + d), kWhole, count));
    } else if (rel >= d && rel < 2 * d) {
      schedule.steps.push_back(Step::Recv(k, real(rel - d), kWhole, count));
    }
  }
  return schedule;
}

Schedule BinomialTreeReduce(int rank, int size, int root, size_t count) {
  Schedule schedule = Empty(rank, size, count);
  if (size <= 1 || count == 0) return schedule;
  const int rel = (rank - root + size) % size;
  auto real = [&](int relative) { return (relative + root) % size; };
  for (int k = 0; k < BinomialTreeRounds(size); ++k) {
    const int d = 1 << k;
    if (rel % (2 * d) == d) {
      schedule.steps.push_back(Step::Send(k, real(rel - d), kWhole, count));
      break;  // this rank's part is done
    }
    if (rel % (2 * d) == 0 && rel + d < size) {
      schedule.steps.push_back(Step::RecvReduce(k, real(rel + d), kWhole, count));
    }
  }
  return schedule;
}

}  // namespace ultracc::collectives
