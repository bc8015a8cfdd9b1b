// Levels of a topology and their aggregate and bisection bandwidths.
#include "runtime/topology/topology.h"

#include <algorithm>

#include "runtime/topology/spec_validation.h"

namespace ultracc::topology {

double TopologyLevel::AggregateGbPerS() const {
  return has_links ? static_cast<double>(chips_per_unit) * bandwidth_gb_per_s() : 0;
}

double TopologyLevel::BisectionGbPerS() const {
  if (!has_links || members < 2) return 0;
  const double chips_per_member = static_cast<double>(chips_per_unit) / members;
  const double per_chip = bandwidth_gb_per_s();
  switch (links.shape()) {
    case proto::LevelSpec::RING:
      // Each same-position chain is cut twice (once with two members, whose two links then both
      // cross); each cut link carries half a chip's bandwidth (a chip has two ring links).
      return chips_per_member * per_chip;
    case proto::LevelSpec::TORUS: {
      // A chip's bandwidth spreads over two links per extent; halving the longest extent cuts
      // every line along it twice (with wrap-around).
      int dimensions = 0, longest = 1;
      for (int dim : links.torus_dims()) {
        if (dim > 1) ++dimensions;
        longest = std::max(longest, dim);
      }
      if (dimensions == 0) return 0;
      const double lines = static_cast<double>(members) / longest;
      return chips_per_member * lines * 2 * per_chip / (2 * dimensions);
    }
    default: {  // a switch or memory: the smaller half sends at its full rate
      const int smaller_half = members / 2;
      return smaller_half * chips_per_member * per_chip;
    }
  }
}

absl::StatusOr<Topology> Topology::FromSpec(proto::TopologySpec spec) {
  if (absl::Status valid =
          ValidateTopologySpec(spec, spec.name().empty() ? "topology" : spec.name());
      !valid.ok()) {
    return valid;
  }
  Topology topology;
  topology.nodes_ = int64_t{spec.nodes_per_ultraserver()} * spec.ultraservers();
  topology.chips_ = topology.nodes_ * spec.chips_per_node();
  const struct {
    LevelKind kind;
    const char* name;
    const char* member;
    int members;
    bool has_links;
    const proto::LevelSpec* links;
  } levels[] = {
      {LevelKind::kNode, "node", "chip", spec.chips_per_node(), spec.has_node(), &spec.node()},
      {LevelKind::kUltraServer, "UltraServer", "node", spec.nodes_per_ultraserver(),
       spec.has_ultraserver(), &spec.ultraserver()},
      {LevelKind::kCluster, "cluster", "UltraServer", spec.ultraservers(), spec.has_cluster(),
       &spec.cluster()}};
  int64_t chips_per_unit = 1;
  for (const auto& l : levels) {
    TopologyLevel level;
    level.kind = l.kind;
    level.name = l.name;
    level.member_name = l.member;
    level.members = l.members;
    chips_per_unit *= l.members;
    level.chips_per_unit = chips_per_unit;
    level.units = topology.chips_ / chips_per_unit;
    level.has_links = l.has_links;
    if (l.has_links) level.links = *l.links;
    topology.levels_.push_back(std::move(level));
  }
  topology.spec_ = std::move(spec);
  return topology;
}

const TopologyLevel* Topology::BisectionLevel() const {
  for (auto it = levels_.rbegin(); it != levels_.rend(); ++it) {
    if (it->members > 1) return &*it;
  }
  return nullptr;
}

double Topology::BisectionGbPerS() const {
  const TopologyLevel* level = BisectionLevel();
  return level == nullptr ? 0 : level->BisectionGbPerS();
}

}  // namespace ultracc::topology
