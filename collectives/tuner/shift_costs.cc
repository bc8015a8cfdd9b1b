// Costs of the ring, direct and pairwise algorithms.
#include "collectives/tuner/algorithm_costs.h"

namespace ultracc::collectives::tuner {
namespace {

// One message of `bytes` across level `index`.
Cost Hop(const RankHierarchy& h, int index, double bytes) {
  const LevelCost& level = h.level(index);
  return Cost{.latency_s = level.alpha_s, .transfer_s = bytes * level.beta_s_per_byte};
}

// One round in which every rank sends `bytes` to each of its peers below level `levels` at once.
// Each level is one pipe per member (a NIC port, a switch port): its messages queue behind each
// other for bandwidth while their latencies overlap, and the levels' pipes run side by side, so the
// round lasts as long as its busiest level (the pipes of transport/shaping behave the same way).
Cost ToEveryPeer(const RankHierarchy& h, double bytes, int levels = kLevels) {
  Cost worst;
  for (int i = 0; i < levels; ++i) {
    if (h.PeersAt(i) == 0) continue;
    const Cost level{.latency_s = h.level(i).alpha_s,
                     .transfer_s = h.PeersAt(i) * bytes * h.level(i).beta_s_per_byte};
    if (level.total_s() > worst.total_s()) worst = level;
  }
  return worst;
}

Cost Times(Cost cost, double n) {
  cost.latency_s *= n;
  cost.transfer_s *= n;
  cost.local_s *= n;
  return cost;
}

}  // namespace

std::optional<Cost> RingCost(const RankHierarchy& h, CollectiveKind kind, double bytes) {
  const int n = h.ranks();
  if (n == 1) return Cost{};
  const double block = bytes / n;
  // n - 1 rounds each way; the wrap-around (and every node boundary) crosses the top level.
  Cost round = Hop(h, h.top(), block);
  switch (kind) {
    case CollectiveKind::kAllReduce: {
      Cost cost = Times(round, 2.0 * (n - 1));
      cost.local_s = (n - 1) * block * h.reduce_s_per_byte();
      return cost;
    }
    case CollectiveKind::kReduceScatter: {
      Cost cost = Times(round, n - 1);
      cost.local_s = (n - 1) * block * h.reduce_s_per_byte();
      return cost;
    }
    case CollectiveKind::kAllGather:
      return Times(round, n - 1);
    default:
      return std::nullopt;
  }
}

std::optional<Cost> DirectCost(const RankHierarchy& h, CollectiveKind kind, double bytes) {
  const int n = h.ranks();
  if (n == 1) return Cost{};
  const double block = bytes / n;
  switch (kind) {
    case CollectiveKind::kAllReduce: {
      Cost cost = ToEveryPeer(h, block);  // reduce-scatter
      cost.local_s = (n - 1) * block * h.reduce_s_per_byte();
      cost += ToEveryPeer(h, block);  // all-gather
      return cost;
    }
    case CollectiveKind::kReduceScatter: {
      Cost cost = ToEveryPeer(h, block);
      cost.local_s = (n - 1) * block * h.reduce_s_per_byte();
      return cost;
    }
    case CollectiveKind::kAllGather:
      return ToEveryPeer(h, block);
    case CollectiveKind::kAllToAll:
    case CollectiveKind::kAllToAllv: {
      Cost cost = ToEveryPeer(h, block);
      cost.local_s = block * h.copy_s_per_byte();  // a rank's own block
      return cost;
    }
    case CollectiveKind::kBroadcast:
      return ToEveryPeer(h, bytes);  // the root sends the whole buffer to everyone
    default:
      return std::nullopt;
  }
}

std::optional<Cost> PairwiseCost(const RankHierarchy& h, CollectiveKind kind, double bytes) {
  if (kind != CollectiveKind::kAllToAll && kind != CollectiveKind::kAllToAllv) return std::nullopt;
  const int n = h.ranks();
  if (n == 1) return Cost{};
  const double block = bytes / n;
  // Round s pairs r with r + s; over all rounds a rank meets each peer once, each on its level.
  Cost cost{.local_s = block * h.copy_s_per_byte()};
  for (int i = 0; i < kLevels; ++i) cost += Times(Hop(h, i, block), h.PeersAt(i));
  return cost;
}

std::optional<Cost> HierarchicalCost(const RankHierarchy& h, CollectiveKind kind, double bytes) {
  if (kind != CollectiveKind::kAllReduce && kind != CollectiveKind::kReduceScatter &&
      kind != CollectiveKind::kAllGather) {
    return std::nullopt;
  }
  const int n = h.ranks();
  if (n == 1) return Cost{};
  // Groups are the UltraServers (one group of everyone when there is one).
  constexpr int kUltraServer = 1, kCluster = 2;
  const int group = h.top() >= kCluster ? static_cast<int>(h.level(kUltraServer).unit_ranks) : n;
  const int groups = n / group;
  if (kind == CollectiveKind::kAllReduce) {
    const double chunk = bytes / group;
    // Direct reduce-scatter and all-gather inside the group: each rank sends a chunk to every
    // group peer at once, on the level that peer is at.
    Cost cost = Times(ToEveryPeer(h, chunk, kCluster), 2);
    cost.local_s = (group - 1) * chunk * h.reduce_s_per_byte();
    if (groups > 1) {
      // The ring all-reduce of a chunk among the groups, every round across the cluster.
      cost += Times(Hop(h, kCluster, chunk / groups), 2.0 * (groups - 1));
      cost.local_s += (groups - 1) * chunk / groups * h.reduce_s_per_byte();
    }
    return cost;
  }
  // Reduce-scatter (inner level first) and all-gather (outer first): the group peers exchange the
  // blocks of one another's positions, 1/group of the data each, at once; the members at one
  // position ring their blocks across the groups.
  const double block = bytes / n;
  Cost cost = ToEveryPeer(h, bytes / group, kCluster);
  if (groups > 1) cost += Times(Hop(h, kCluster, block), groups - 1);
  if (kind == CollectiveKind::kReduceScatter) {
    cost.local_s = ((group - 1) * groups + (groups - 1)) * block * h.reduce_s_per_byte();
  }
  return cost;
}

}  // namespace ultracc::collectives::tuner
