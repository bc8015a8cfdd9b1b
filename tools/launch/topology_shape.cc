// A job's shape from a topology spec; see topology_shape.h.
#include "tools/launch/topology_shape.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "runtime/topology/presets.h"
#include "runtime/topology/topology_source.h"

namespace ultracc::launch {

absl::Status ShapeFromTopology(const std::string& spec, const ShapeFlags& flags,
                               LaunchOptions* launch) {
  absl::StatusOr<topology::Topology> topo = topology::LoadTopology(spec);
  if (!topo.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--topology ", spec, ": ", topo.status().message()));
  }
  const int per_server = static_cast<int>(topo->spec().nodes_per_ultraserver());
  const int servers = static_cast<int>(topo->nodes() / per_server);
  const int chips = static_cast<int>(topo->spec().chips_per_node());
  if (flags.ultraservers > servers) {
    return absl::InvalidArgumentError(
        absl::StrCat("--ultraservers ", flags.ultraservers, ": ", spec, " has ", servers));
  }
  LaunchOptions& l = *launch;
  if (!flags.nodes_given) {
    l.nodes = (flags.ultraservers > 0 ? flags.ultraservers : servers) * per_server;
  }
  if (!flags.chips_given) l.chips_per_node = chips;
  if (l.nodes > topo->nodes() || l.chips_per_node > chips) {
    return absl::InvalidArgumentError(absl::StrCat(l.nodes, " nodes x ", l.chips_per_node,
                                                   " chips do not fit ", spec, " (", topo->nodes(),
                                                   " nodes x ", chips, " chips)"));
  }
  if (!flags.engine_only && l.nodes * l.chips_per_node > kMostLaunchedRanks) {
    return absl::InvalidArgumentError(
        absl::StrCat(spec, " is ", l.nodes * l.chips_per_node,
                     " chips: more rank processes than this host runs (", kMostLaunchedRanks, "); ",
                     flags.offer_virtual_chips ? "add --virtual-chips (engine only), or " : "",
                     "scale down with --ultraservers, --nodes or --chips-per-node"));
  }
  // Daemons and ranks may run in another directory: a file travels by its absolute path.
  l.topology = topology::IsPresetName(spec) ? spec : std::filesystem::absolute(spec).string();
  return absl::OkStatus();
}

}  // namespace ultracc::launch
