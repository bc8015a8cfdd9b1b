// The slice per algorithm from its receive-reduce messages; see slice_choice.h.
#include "collectives/tuner/slice_choice.h"

#include <algorithm>
#include <vector>

namespace ultracc::collectives::tuner {
namespace {

struct Message {
  double bytes;
  int level;
};

// The receive-reduce messages of `algorithm` running `kind`, each with the level it crosses.
std::vector<Message> ReducedMessages(const RankHierarchy& h, const RoundLevels& rounds,
                                     CollectiveKind kind, Algorithm algorithm, double bytes) {
  const int n = h.ranks();
  const bool reduces = kind == CollectiveKind::kAllReduce ||
                       kind == CollectiveKind::kReduceScatter || kind == CollectiveKind::kReduce;
  std::vector<Message> messages;
  if (n == 1 || !reduces) return messages;
  switch (algorithm) {
    case Algorithm::kRing:  // a block per round, some rank always across the top level
      messages.push_back({bytes / n, h.top()});
      break;
    case Algorithm::kHalvingDoubling: {
      if (rounds.fold >= 0) messages.push_back({bytes, rounds.fold});
      double part = bytes;
      for (int level : rounds.halving_doubling) {
        part /= 2;
        messages.push_back({part, level});
      }
      break;
    }
    case Algorithm::kTree:  // the whole buffer up every round of the binomial tree
      for (int level : rounds.binomial_tree) messages.push_back({bytes, level});
      break;
    case Algorithm::kHierarchical: {
      // Only the ring across the UltraServers receive-reduces (inside, direct receives whole).
      constexpr int kUltraServer = 1, kCluster = 2;
      if (h.top() < kCluster || kind == CollectiveKind::kReduce) break;
      const double groups = static_cast<double>(n) / h.level(kUltraServer).unit_ranks;
      if (groups > 1) messages.push_back({bytes / n, kCluster});
      break;
    }
    default:
      break;
  }
  return messages;
}

}  // namespace

size_t ChooseSlice(const RankHierarchy& h, const RoundLevels& rounds, CollectiveKind kind,
                   Algorithm algorithm, double bytes) {
  const std::vector<Message> messages = ReducedMessages(h, rounds, kind, algorithm, bytes);
  if (messages.empty()) return 0;
  double needed = 0;
  for (const Message& m : messages) {
    const LevelCost& level = h.level(m.level);
    const double bdp =
        level.beta_s_per_byte > 0 ? level.alpha_s / level.beta_s_per_byte : 0;  // bytes in flight
    // The whole message in the window, or a window that keeps the level's pipe full.
    needed = std::max(needed, std::min(m.bytes / kRecvReduceWindow, bdp / (kRecvReduceWindow - 1)));
  }
  for (size_t candidate : kSliceCandidates) {
    if (static_cast<double>(candidate) >= needed) return candidate;
  }
  return kSliceCandidates[std::size(kSliceCandidates) - 1];
}

}  // namespace ultracc::collectives::tuner
