// Where the ranks of a job sit in a topology, node-major (rank = (ultraserver * nodes + node) *
// ranks_per_node + chip, as `ultracc launch` numbers them), and what crossing each level costs:
// alpha (one hop's latency) and beta (seconds per byte at a chip's share of the level's links).
#pragma once

#include <array>
#include <cstdint>

#include "absl/status/statusor.h"
#include "runtime/topology/topology.h"

namespace ultracc::collectives::tuner {

// How many ranks a job places at each level; 0 takes the topology's full count. A job may use
// fewer chips, nodes or UltraServers than the topology has, never more.
struct RankLayout {
  int ranks_per_node = 0;
  int nodes_per_ultraserver = 0;
  int ultraservers = 0;
  // Chips whose links one rank drives together: a node engine's member sends for all of its
  // node's chips, so its messages move at that many chips' share of each level.
  int chips_per_rank = 1;
};

// Level indices follow topology::LevelKind: 0 node, 1 UltraServer, 2 cluster.
inline constexpr int kLevels = topology::kLevelCount;

struct LevelCost {
  int members = 1;             // members per unit in the layout
  int64_t unit_ranks = 1;      // ranks in one unit of this level
  double alpha_s = 0;          // one hop across the level
  double beta_s_per_byte = 0;  // a chip's share of the level's links
};

class RankHierarchy {
 public:
  // InvalidArgument when the layout asks for more at a level than the topology has, or for a
  // negative count (or chips_per_rank below 1).
  static absl::StatusOr<RankHierarchy> Create(const topology::Topology& topology,
                                              const RankLayout& layout);

  int ranks() const { return ranks_; }
  // The highest level with more than one member (every level's traffic at worst crosses it);
  // -1 for a single rank.
  int top() const { return top_; }
  const LevelCost& level(int index) const { return levels_[index]; }
  // The level whose links carry a message between ranks a != b: the highest they differ at.
  int LevelBetween(int a, int b) const;
  // How many other ranks one rank reaches through level `index`.
  int64_t PeersAt(int index) const;
  // A chip's local work: copying a byte (read + write) and reducing one (two reads, one write);
  // 0 when the topology gives no memory bandwidth.
  double copy_s_per_byte() const { return copy_s_per_byte_; }
  double reduce_s_per_byte() const { return reduce_s_per_byte_; }

 private:
  int ranks_ = 1;
  int top_ = -1;
  std::array<LevelCost, kLevels> levels_;
  double copy_s_per_byte_ = 0;
  double reduce_s_per_byte_ = 0;
};

}  // namespace ultracc::collectives::tuner
