// Link emulation planned from a topology: how the links between a job's nodes are held back so
// that a run on one host keeps the emulated hardware's ratios (the switch inside an UltraServer
// against the cluster network between UltraServers). The whole topology runs `dilation` times
// slower than the hardware, its fastest crossed level at the rate the user asks for. Engine-only
// benchmarks (tools/bench/virtual_cluster) and launched jobs' daemons (ULTRACC_EMULATE_LINKS)
// plan it the same way.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/topology/topology.h"
#include "transport/shaping/shaped_transport.h"
#include "transport/transport.h"

namespace ultracc::engine {

struct LinkEmulation {
  double dilation = 1;  // how many times slower than the emulated hardware
  // [0]: between nodes of one UltraServer (its switch); [1]: between UltraServers.
  std::vector<transport::shaping::LinkShape> levels;
  int nodes_per_ultraserver = 1;

  // The level of the link from `node` to each of `nodes` nodes (the index into `levels`).
  std::vector<int> LevelOfPeers(int node, int nodes) const;
  // One line for a benchmark's header: "emulated links (Nx slower than SPEC): ...".
  std::string Describe(const std::string& spec) const;
};

// The plan for a job of `nodes` nodes of `chips_per_node` chips on `topology`, whose fastest
// crossed level is to run at `gb_per_s` GB/s per node; nullopt when no link is crossed or none has
// figures (one node, or a spec without links). InvalidArgument when gb_per_s is not positive.
absl::StatusOr<std::optional<LinkEmulation>> PlanLinkEmulation(const topology::Topology& topology,
                                                               int nodes, int chips_per_node,
                                                               double gb_per_s);

// `links` of node `node` held to `plan`.
std::unique_ptr<transport::ConnectableTransport> EmulateLinks(
    std::unique_ptr<transport::ConnectableTransport> links, const LinkEmulation& plan, int node,
    int nodes);

}  // namespace ultracc::engine
