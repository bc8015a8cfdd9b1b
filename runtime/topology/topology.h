// The model of a valid TopologySpec: its levels from the node up, how many members and units each
// has, and the bandwidth each offers in aggregate and across its bisection. The cost model
// (collectives/tuner) and `ultracc topo show` read topologies through it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "topology.pb.h"

namespace ultracc::topology {

enum class LevelKind : int { kNode = 0, kUltraServer = 1, kCluster = 2 };
inline constexpr int kLevelCount = 3;

struct TopologyLevel {
  LevelKind kind = LevelKind::kNode;
  std::string name;         // "node", "UltraServer", "cluster"
  std::string member_name;  // what its members are: "chip", "node", "UltraServer"
  int members = 1;          // members per unit of this level
  int64_t units = 1;        // units of this level in the whole topology
  int64_t chips_per_unit = 1;
  bool has_links = false;  // the spec gives this level's links (required when members > 1)
  proto::LevelSpec links;  // as the spec gives them (empty without has_links)

  double bandwidth_gb_per_s() const { return links.bandwidth_gb_per_s(); }  // per chip
  double latency_us() const { return links.latency_us(); }
  // Every chip of one unit sending into this level at once, GB/s each direction.
  double AggregateGbPerS() const;
  // Across a cut that splits one unit's members into halves, GB/s each direction: a switch carries
  // the smaller half's whole injection, a ring two links per same-position chain, a torus the
  // wrap-around lines of its longest extent. 0 for a single member.
  double BisectionGbPerS() const;
};

class Topology {
 public:
  // Fails with ValidateTopologySpec's message when the spec is not valid.
  static absl::StatusOr<Topology> FromSpec(proto::TopologySpec spec);

  const proto::TopologySpec& spec() const { return spec_; }
  int64_t chips() const { return chips_; }
  int64_t nodes() const { return nodes_; }
  // Node, UltraServer, cluster, in that order (index by LevelKind).
  const std::vector<TopologyLevel>& levels() const { return levels_; }
  const TopologyLevel& level(LevelKind kind) const { return levels_[static_cast<int>(kind)]; }
  // The highest level with more than one member: where a cut halving the topology runs. Null for a
  // single chip.
  const TopologyLevel* BisectionLevel() const;
  double BisectionGbPerS() const;
  // Per chip, read + write traffic; 0 when the spec does not say.
  double memory_bandwidth_gb_per_s() const { return spec_.chip().memory_bandwidth_gb_per_s(); }

 private:
  proto::TopologySpec spec_;
  int64_t chips_ = 1;
  int64_t nodes_ = 1;
  std::vector<TopologyLevel> levels_;
};

}  // namespace ultracc::topology
