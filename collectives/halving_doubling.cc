// Recursive halving-doubling schedule generation, with the non-power-of-two fold.
#include "collectives/halving_doubling.h"

#include <functional>

#include "collectives/ring.h"

namespace ultracc::collectives {
namespace {

// The power-of-two core and how real ranks map onto it.
struct Folding {
  int size = 1;
  int pow2 = 1;
  int extra = 0;

  explicit Folding(int n) : size(n) {
    while (pow2 * 2 <= n) pow2 *= 2;
    extra = n - pow2;
  }
  bool SitsOut(int rank) const { return rank < 2 * extra && rank % 2 == 0; }
  int VirtualRank(int rank) const { return rank < 2 * extra ? rank / 2 : rank - extra; }
  int RealRank(int virtual_rank) const {
    return virtual_rank < extra ? 2 * virtual_rank + 1 : virtual_rank + extra;
  }
  // The first real rank whose block virtual rank v holds (v in [0, pow2]).
  int FirstBlockOf(int virtual_rank) const {
    return virtual_rank < extra ? 2 * virtual_rank : virtual_rank + extra;
  }
  int Log2() const {
    int log = 0;
    while ((1 << log) < pow2) ++log;
    return log;
  }
};

BufferRef Out(size_t offset) { return BufferRef{.buffer = BufferId::kOutput, .offset = offset}; }

// Element offset where virtual rank v's range begins (bound(pow2) = the end of the data).
using Bound = std::function<size_t(int)>;

void AddTransfer(Schedule& schedule, StepKind kind, int round, int peer, size_t begin, size_t end) {
  if (end <= begin) return;  // both sides compute the same empty range and leave it out
  switch (kind) {
    case StepKind::kSend:
      schedule.steps.push_back(Step::Send(round, peer, Out(begin), end - begin));
      break;
    case StepKind::kRecvReduce:
      schedule.steps.push_back(Step::RecvReduce(round, peer, Out(begin), end - begin));
      break;
    default:
      schedule.steps.push_back(Step::Recv(round, peer, Out(begin), end - begin));
      break;
  }
}

// Recursive halving over the virtual ranks, starting at `round`; returns the next free round.
int AddHalving(Schedule& schedule, const Folding& f, const Bound& bound, int round) {
  const int v = f.VirtualRank(schedule.rank);
  int lo = 0;
  for (int d = f.pow2 / 2; d >= 1; d /= 2, ++round) {
    const int peer = f.RealRank(v ^ d);
    const int mid = lo + d;
    const bool lower = v < mid;
    const int keep_lo = lower ? lo : mid, give_lo = lower ? mid : lo;
    AddTransfer(schedule, StepKind::kSend, round, peer, bound(give_lo), bound(give_lo + d));
    AddTransfer(schedule, StepKind::kRecvReduce, round, peer, bound(keep_lo), bound(keep_lo + d));
    lo = keep_lo;
  }
  return round;
}

// Recursive doubling over the virtual ranks; virtual rank v starts with the range of v.
int AddDoubling(Schedule& schedule, const Folding& f, const Bound& bound, int round) {
  const int v = f.VirtualRank(schedule.rank);
  for (int d = 1; d < f.pow2; d *= 2, ++round) {
    const int peer = f.RealRank(v ^ d);
    const int mine = v & ~(d - 1), theirs = mine ^ d;
    AddTransfer(schedule, StepKind::kSend, round, peer, bound(mine), bound(mine + d));
    AddTransfer(schedule, StepKind::kRecv, round, peer, bound(theirs), bound(theirs + d));
  }
  return round;
}

Schedule Empty(int rank, int size, size_t elements) {
  Schedule schedule;
  schedule.rank = rank;
  schedule.size = size;
  schedule.input_elements = elements;
  schedule.output_elements = elements;
  return schedule;
}

}  // namespace

Schedule HalvingDoublingAllReduce(int rank, int size, size_t count) {
  Schedule schedule = Empty(rank, size, count);
  if (size <= 1 || count == 0) return schedule;
  const Folding f(size);
  const Bound bound = [&](int v) { return BalancedChunk(count, f.pow2, v).offset; };
  const int fold_rounds = f.extra > 0 ? 1 : 0;
  const int last_round = fold_rounds + 2 * f.Log2();
  if (f.SitsOut(rank)) {
    AddTransfer(schedule, StepKind::kSend, 0, rank + 1, 0, count);
    AddTransfer(schedule, StepKind::kRecv, last_round, rank + 1, 0, count);
    return schedule;
  }
  if (rank < 2 * f.extra) AddTransfer(schedule, StepKind::kRecvReduce, 0, rank - 1, 0, count);
  const int round = AddHalving(schedule, f, bound, fold_rounds);
  AddDoubling(schedule, f, bound, round);
  if (rank < 2 * f.extra) AddTransfer(schedule, StepKind::kSend, last_round, rank - 1, 0, count);
  return schedule;
}

Schedule HalvingDoublingReduceScatter(int rank, int size, size_t block_count) {
  const size_t total = static_cast<size_t>(size) * block_count;
  Schedule schedule = Empty(rank, size, total);
  if (size <= 1 || block_count == 0) return schedule;
  const Folding f(size);
  const Bound bound = [&](int v) { return f.FirstBlockOf(v) * block_count; };
  const int fold_rounds = f.extra > 0 ? 1 : 0;
  const int last_round = fold_rounds + f.Log2();
  const size_t own = static_cast<size_t>(rank) * block_count;
  if (f.SitsOut(rank)) {
    AddTransfer(schedule, StepKind::kSend, 0, rank + 1, 0, total);
    AddTransfer(schedule, StepKind::kRecv, last_round, rank + 1, own, own + block_count);
    return schedule;
  }
  if (rank < 2 * f.extra) AddTransfer(schedule, StepKind::kRecvReduce, 0, rank - 1, 0, total);
  AddHalving(schedule, f, bound, fold_rounds);
  if (rank < 2 * f.extra) {
    const size_t partner = own - block_count;
    AddTransfer(schedule, StepKind::kSend, last_round, rank - 1, partner, partner + block_count);
  }
  return schedule;
}

Schedule HalvingDoublingAllGather(int rank, int size, size_t block_count) {
  const size_t total = static_cast<size_t>(size) * block_count;
  Schedule schedule = Empty(rank, size, total);
  if (size <= 1 || block_count == 0) return schedule;
  const Folding f(size);
  const Bound bound = [&](int v) { return f.FirstBlockOf(v) * block_count; };
  const int fold_rounds = f.extra > 0 ? 1 : 0;
  const int last_round = fold_rounds + f.Log2();
  const size_t own = static_cast<size_t>(rank) * block_count;
  if (f.SitsOut(rank)) {
    AddTransfer(schedule, StepKind::kSend, 0, rank + 1, own, own + block_count);
    AddTransfer(schedule, StepKind::kRecv, last_round, rank + 1, 0, own);
    AddTransfer(schedule, StepKind::kRecv, last_round, rank + 1, own + block_count, total);
    return schedule;
  }
  if (rank < 2 * f.extra) {
    AddTransfer(schedule, StepKind::kRecv, 0, rank - 1, own - block_count, own);
  }
  AddDoubling(schedule, f, bound, fold_rounds);
  if (rank < 2 * f.extra) {
    const size_t partner = own - block_count;
    AddTransfer(schedule, StepKind::kSend, last_round, rank - 1, 0, partner);
    AddTransfer(schedule, StepKind::kSend, last_round, rank - 1, partner + block_count, total);
  }
  return schedule;
}

}  // namespace ultracc::collectives
