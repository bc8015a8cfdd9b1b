// Ranks per level and each level's alpha and beta.
#include "collectives/tuner/rank_hierarchy.h"

#include "absl/strings/str_format.h"

namespace ultracc::collectives::tuner {

absl::StatusOr<RankHierarchy> RankHierarchy::Create(const topology::Topology& topology,
                                                    const RankLayout& layout) {
  const int asked[kLevels] = {layout.ranks_per_node, layout.nodes_per_ultraserver,
                              layout.ultraservers};
  const char* const names[kLevels] = {"ranks per node", "nodes per UltraServer", "UltraServers"};
  if (layout.chips_per_rank < 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%d chips per rank asked of topology %s; need at least 1",
                        layout.chips_per_rank, topology.spec().name()));
  }
  RankHierarchy hierarchy;
  int64_t unit_ranks = 1;
  for (int i = 0; i < kLevels; ++i) {
    const topology::TopologyLevel& level = topology.levels()[i];
    if (asked[i] < 0 || asked[i] > level.members) {
      return absl::InvalidArgumentError(absl::StrFormat("%d %s asked of topology %s, which has %d",
                                                        asked[i], names[i], topology.spec().name(),
                                                        level.members));
    }
    LevelCost& cost = hierarchy.levels_[i];
    cost.members = asked[i] == 0 ? level.members : asked[i];
    unit_ranks *= cost.members;
    cost.unit_ranks = unit_ranks;
    if (level.has_links) {
      cost.alpha_s = level.latency_us() * 1e-6;
      cost.beta_s_per_byte = 1 / (level.bandwidth_gb_per_s() * 1e9 * layout.chips_per_rank);
    }
    if (cost.members > 1) hierarchy.top_ = i;
  }
  hierarchy.ranks_ = static_cast<int>(unit_ranks);
  const double memory = topology.memory_bandwidth_gb_per_s() * 1e9;
  if (memory > 0) {
    hierarchy.copy_s_per_byte_ = 2 / memory;
    hierarchy.reduce_s_per_byte_ = 3 / memory;
  }
  return hierarchy;
}

int RankHierarchy::LevelBetween(int a, int b) const {
  for (int i = 0; i < kLevels - 1; ++i) {
    if (a / levels_[i].unit_ranks == b / levels_[i].unit_ranks) return i;
  }
  return kLevels - 1;
}

int64_t RankHierarchy::PeersAt(int index) const {
  const int64_t below = index == 0 ? 1 : levels_[index - 1].unit_ranks;
  return levels_[index].unit_ranks - below;
}

}  // namespace ultracc::collectives::tuner
