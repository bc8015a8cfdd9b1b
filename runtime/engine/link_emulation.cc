// Link emulation planned from a topology; see link_emulation.h.
#include "runtime/engine/link_emulation.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ultracc::engine {

std::vector<int> LinkEmulation::LevelOfPeers(int node, int nodes) const {
  std::vector<int> level(static_cast<size_t>(nodes));
  for (int p = 0; p < nodes; ++p) {
    level[static_cast<size_t>(p)] =
        p / nodes_per_ultraserver == node / nodes_per_ultraserver ? 0 : 1;
  }
  return level;
}

std::string LinkEmulation::Describe(const std::string& spec) const {
  return absl::StrFormat(
      "emulated links (%.0fx slower than %s): UltraServer %.3g GB/s %.0f us, cluster %.3g GB/s "
      "%.0f us per node",
      dilation, spec, levels[0].bytes_per_second / 1e9,
      absl::ToDoubleMicroseconds(levels[0].latency), levels[1].bytes_per_second / 1e9,
      absl::ToDoubleMicroseconds(levels[1].latency));
}

absl::StatusOr<std::optional<LinkEmulation>> PlanLinkEmulation(const topology::Topology& topology,
                                                               int nodes, int chips_per_node,
                                                               double gb_per_s) {
  if (!(gb_per_s > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("link emulation: ", gb_per_s, " GB/s is not a positive rate"));
  }
  LinkEmulation plan;
  plan.nodes_per_ultraserver = std::max(1, topology.spec().nodes_per_ultraserver());
  const topology::TopologyLevel* levels[2] = {&topology.level(topology::LevelKind::kUltraServer),
                                              &topology.level(topology::LevelKind::kCluster)};
  const bool crossed[2] = {nodes > 1 && plan.nodes_per_ultraserver > 1,
                           nodes > plan.nodes_per_ultraserver};
  double fastest = 0;  // GB/s per node of the fastest level the job crosses
  for (int l = 0; l < 2; ++l) {
    if (crossed[l] && levels[l]->has_links) {
      fastest = std::max(fastest, levels[l]->bandwidth_gb_per_s() * chips_per_node);
    }
  }
  if (fastest <= 0) return std::nullopt;
  plan.dilation = fastest / gb_per_s;
  plan.levels.resize(2);
  for (int l = 0; l < 2; ++l) {
    if (!levels[l]->has_links) continue;  // unlimited
    plan.levels[static_cast<size_t>(l)].bytes_per_second =
        levels[l]->bandwidth_gb_per_s() * chips_per_node * 1e9 / plan.dilation;
    plan.levels[static_cast<size_t>(l)].latency =
        absl::Microseconds(levels[l]->latency_us() * plan.dilation);
  }
  return plan;
}

std::unique_ptr<transport::ConnectableTransport> EmulateLinks(
    std::unique_ptr<transport::ConnectableTransport> links, const LinkEmulation& plan, int node,
    int nodes) {
  return std::make_unique<transport::shaping::ShapedTransport>(std::move(links), plan.levels,
                                                               plan.LevelOfPeers(node, nodes));
}

}  // namespace ultracc::engine
