// Members filling nodes and UltraServers in order.
#include "collectives/tuner/member_layout.h"

#include "absl/strings/str_format.h"

namespace ultracc::collectives::tuner {

absl::StatusOr<RankLayout> MemberLayout(const topology::Topology& topology, int members,
                                        int members_per_node, int chips_per_member) {
  const std::string& name = topology.spec().name();
  if (members < 1 || members_per_node < 1 || members % members_per_node != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%d members do not fill whole nodes of %d on topology %s", members,
                        members_per_node, name));
  }
  const int nodes = members / members_per_node;
  const int per_server = static_cast<int>(topology.spec().nodes_per_ultraserver());
  if (nodes > per_server && nodes % per_server != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%d nodes do not fill whole UltraServers of %d nodes on topology %s", nodes,
                        per_server, name));
  }
  RankLayout layout;
  layout.ranks_per_node = members_per_node;
  layout.nodes_per_ultraserver = nodes < per_server ? nodes : per_server;
  layout.ultraservers = (nodes + per_server - 1) / per_server;
  layout.chips_per_rank = chips_per_member;
  // RankHierarchy::Create names the level that the topology is too small at.
  if (absl::StatusOr<RankHierarchy> fits = RankHierarchy::Create(topology, layout); !fits.ok()) {
    return fits.status();
  }
  return layout;
}

}  // namespace ultracc::collectives::tuner
