// Where an engine's members sit in a topology. A node engine's members are whole nodes (their
// chips were combined in memory before anything crosses a link), an embedded-mode engine's members
// are chips; either way they fill nodes, then UltraServers, in order, as `ultracc launch` places
// them.
#pragma once

#include "absl/status/statusor.h"
#include "collectives/tuner/rank_hierarchy.h"
#include "runtime/topology/topology.h"

namespace ultracc::collectives::tuner {

// The layout of `members` members, `members_per_node` to a node (1 when members are nodes), each
// driving the links of `chips_per_member` chips (a node engine's member: the job's chips per
// node). InvalidArgument, naming the counts, when they do not fill whole nodes and UltraServers
// or the topology has too few of them.
absl::StatusOr<RankLayout> MemberLayout(const topology::Topology& topology, int members,
                                        int members_per_node, int chips_per_member = 1);

// Members per UltraServer of a layout MemberLayout returned: the groups of the hierarchical
// all-reduce (NodeEngineOptions::group_members).
inline int MembersPerUltraServer(const RankLayout& layout) {
  return layout.ranks_per_node * layout.nodes_per_ultraserver;
}

}  // namespace ultracc::collectives::tuner
