// A job's shape from a topology spec, shared by `ultracc launch --topology` and `ultracc bench
// --topology`: nodes = nodes_per_ultraserver x ultraservers and chips_per_node from the spec,
// scaled down only where flags ask (--ultraservers keeps that many UltraServers, --nodes and
// --chips-per-node set their own counts), never silently.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "tools/launch/launcher.h"

namespace ultracc::launch {

// What the command line said beside --topology.
struct ShapeFlags {
  bool nodes_given = false;  // --nodes: keep launch->nodes
  bool chips_given = false;  // --chips-per-node: keep launch->chips_per_node
  int ultraservers = 0;      // --ultraservers K (0: all of the spec's)
  // Engine-only jobs (bench --virtual-chips) start no rank processes, so this host's limit on
  // them does not apply; launched jobs that exceed it are told of --virtual-chips when
  // `offer_virtual_chips`.
  bool engine_only = false;
  bool offer_virtual_chips = false;
};

// Most rank processes a job launched on this host may have.
inline constexpr int kMostLaunchedRanks = 64;

// Sets launch->nodes and launch->chips_per_node from `spec` (a preset name or a file) and
// launch->topology to the spec as every daemon and rank can read it (a file by its absolute path).
// InvalidArgument naming the flag or spec when the spec is bad, the job is larger than the spec,
// or a launched job has more rank processes than this host runs (naming --ultraservers, --nodes
// and --chips-per-node as the ways to scale it down).
absl::Status ShapeFromTopology(const std::string& spec, const ShapeFlags& flags,
                               LaunchOptions* launch);

}  // namespace ultracc::launch
