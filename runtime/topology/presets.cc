// The preset topologies and their sources.
//
// Figures (GB = 10^9 bytes; per chip unless stated) and where they are published:
// - Trainium3: 144 GiB HBM at 4.9 TB/s; NeuronLink-v4 about 2 TB/s per chip (sources differ:
//   2,048 GiB/s or 2.56 TB/s; we take 2,000 GB/s).
//   https://awsdocs-neuron.readthedocs-hosted.com/en/latest/about-neuron/arch/neuron-hardware/trainium3.html
// - Trn3 Gen2 UltraServer: 36 servers x 4 chips = 144 chips; a first-level NeuronSwitch-v1 in each
//   server, two second-level NeuronSwitch-v1 across the servers. Gen1: 4 servers x 16 chips = 64
//   chips, all-to-all through NeuronSwitch-v1.
//   https://awsdocs-neuron.readthedocs-hosted.com/en/latest/about-neuron/arch/neuron-hardware/trn3-arch.html
//   EFA 28.8 Tbps per Gen2 UltraServer; switch fabric latency just under 10 us (AWS re:Invent 2025
//   Trn3 announcement; https://aws.amazon.com/ec2/instance-types/trn3/).
// - Trainium2: 96 GiB HBM at 2.9 TB/s; NeuronLink-v3 1.28 TB/s per chip. Trn2 instance: 16 chips in
//   a 4x4 2D torus; Trn2 UltraServer: 4 instances = 64 chips, same-coordinate chips ringed across
//   the instances; EFA 3.2 Tbps per instance.
//   https://awsdocs-neuron.readthedocs-hosted.com/en/latest/about-neuron/arch/neuron-hardware/trainium2.html
//   https://awsdocs-neuron.readthedocs-hosted.com/en/latest/about-neuron/arch/neuron-hardware/trn2-arch.html
// - Collective hops: about 1-2 us inside a node, about 15 us between nodes over EFA.
//   https://awsdocs-neuron.readthedocs-hosted.com/en/latest/neuron-runtime/explore/intranode-collective-comm.html
//   https://awsdocs-neuron.readthedocs-hosted.com/en/latest/neuron-runtime/explore/internode-collective-comm.html
// Where no public figure exists the choice is named at its use.
#include "runtime/topology/presets.h"

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "runtime/topology/host_topology.h"

namespace ultracc::topology {
namespace {

using ::ultracc::proto::LevelSpec;
using ::ultracc::proto::TopologySpec;

constexpr absl::string_view kUltraClusterPrefix = "trn3-ultracluster:";

constexpr double kNeuronLinkV4GbPerS = 2000;
constexpr double kNeuronLinkV3GbPerS = 1280;
constexpr double kIntraNodeHopUs = 1.5;  // the middle of "about 1-2 us"
constexpr double kSwitchFabricUs = 9.5;  // "just under 10 us"
constexpr double kInterNodeHopUs = 15;   // EFA between nodes
constexpr double kTrn3EfaGbPerS =
    28'800 / 8.0 / 144;                              // 28.8 Tbps per UltraServer: 25 GB/s per chip
constexpr double kTrn2EfaGbPerS = 3'200 / 8.0 / 16;  // 3.2 Tbps per instance: 25 GB/s per chip

LevelSpec Level(absl::string_view link, LevelSpec::Shape shape, double gb_per_s, double us) {
  LevelSpec level;
  level.set_link(std::string(link));
  level.set_shape(shape);
  level.set_bandwidth_gb_per_s(gb_per_s);
  level.set_latency_us(us);
  return level;
}

void SetTrainium3(TopologySpec& spec) {
  spec.mutable_chip()->set_name("Trainium3");
  spec.mutable_chip()->set_memory_gib(144);
  spec.mutable_chip()->set_memory_bandwidth_gb_per_s(4900);
}

TopologySpec Trn3UltraServer() {
  TopologySpec spec;
  spec.set_name("trn3-ultraserver");
  spec.set_description(
      "Trn3 Gen2 UltraServer: 36 servers x 4 Trainium3 = 144 chips; NeuronSwitch-v1 in each "
      "server, second-level switches across servers; EFA 28.8 Tbps per UltraServer");
  SetTrainium3(spec);
  spec.set_chips_per_node(4);
  spec.set_nodes_per_ultraserver(36);
  spec.set_ultraservers(1);
  *spec.mutable_node() = Level("NeuronLink-v4 via the server's NeuronSwitch-v1", LevelSpec::SWITCH,
                               kNeuronLinkV4GbPerS, kIntraNodeHopUs);
  // No public oversubscription figure for the second level: taken as non-blocking.
  *spec.mutable_ultraserver() = Level("NeuronLink-v4 via second-level NeuronSwitch-v1",
                                      LevelSpec::SWITCH, kNeuronLinkV4GbPerS, kSwitchFabricUs);
  *spec.mutable_cluster() = Level("EFA", LevelSpec::SWITCH, kTrn3EfaGbPerS, kInterNodeHopUs);
  return spec;
}

TopologySpec Trn3UltraServerGen1() {
  TopologySpec spec;
  spec.set_name("trn3-ultraserver-gen1");
  spec.set_description(
      "Trn3 Gen1 UltraServer: 4 servers x 16 Trainium3 = 64 chips, all-to-all through "
      "NeuronSwitch-v1");
  SetTrainium3(spec);
  spec.set_chips_per_node(16);
  spec.set_nodes_per_ultraserver(4);
  spec.set_ultraservers(1);
  *spec.mutable_node() = Level("NeuronLink-v4 via NeuronSwitch-v1", LevelSpec::SWITCH,
                               kNeuronLinkV4GbPerS, kIntraNodeHopUs);
  // The "just under 10 us" fabric figure is published for Gen2; Gen1's switch is the same part.
  *spec.mutable_ultraserver() = Level("NeuronLink-v4 via NeuronSwitch-v1 across servers",
                                      LevelSpec::SWITCH, kNeuronLinkV4GbPerS, kSwitchFabricUs);
  // No public EFA figure for Gen1, so no cluster level: one UltraServer needs none.
  return spec;
}

TopologySpec Trn2UltraServer() {
  TopologySpec spec;
  spec.set_name("trn2-ultraserver");
  spec.set_description(
      "Trn2 UltraServer: 4 instances x 16 Trainium2 = 64 chips; 4x4 torus in each instance, "
      "same-coordinate chips ringed across instances; EFA 3.2 Tbps per instance");
  spec.mutable_chip()->set_name("Trainium2");
  spec.mutable_chip()->set_memory_gib(96);
  spec.mutable_chip()->set_memory_bandwidth_gb_per_s(2900);
  spec.set_chips_per_node(16);
  spec.set_nodes_per_ultraserver(4);
  spec.set_ultraservers(1);
  // A chip's NeuronLink-v3 bandwidth split evenly over its six links (four torus, two ring),
  // rounded: 4/6 and 2/6 of 1.28 TB/s. The split is ours; the total is published.
  LevelSpec torus = Level("NeuronLink-v3", LevelSpec::TORUS,
                          std::round(kNeuronLinkV3GbPerS * 4 / 6), kIntraNodeHopUs);
  torus.add_torus_dims(4);
  torus.add_torus_dims(4);
  *spec.mutable_node() = torus;
  // The ring is NeuronLink too (one chip-to-chip hop over a longer cable): the upper end of the
  // 1-2 us hop, not the EFA figure.
  *spec.mutable_ultraserver() =
      Level("NeuronLink-v3 between same-coordinate chips", LevelSpec::RING,
            std::round(kNeuronLinkV3GbPerS * 2 / 6), 2.0);
  *spec.mutable_cluster() = Level("EFA", LevelSpec::SWITCH, kTrn2EfaGbPerS, kInterNodeHopUs);
  return spec;
}

absl::StatusOr<TopologySpec> Trn3UltraCluster(absl::string_view name) {
  const absl::string_view count = name.substr(kUltraClusterPrefix.size());
  int ultraservers = 0;
  if (!absl::SimpleAtoi(count, &ultraservers) || ultraservers < 1 ||
      ultraservers > kMaxUltraServers) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "topology %s: N must be a number of UltraServers from 1 to %d (up to 1M chips), got \"%s\"",
        name, kMaxUltraServers, count));
  }
  TopologySpec spec = Trn3UltraServer();
  spec.set_name(std::string(name));
  spec.set_description(absl::StrFormat(
      "Trn3 UltraCluster: %d Gen2 UltraServers of 144 Trainium3 over EFA (28.8 Tbps each)",
      ultraservers));
  spec.set_ultraservers(ultraservers);
  return spec;
}

}  // namespace

std::vector<std::string> PresetNames() {
  return {"trn3-ultraserver", "trn3-ultraserver-gen1", "trn2-ultraserver", "trn3-ultracluster:N",
          "host"};
}

bool IsPresetName(absl::string_view name) {
  return name == "trn3-ultraserver" || name == "trn3-ultraserver-gen1" ||
         name == "trn2-ultraserver" || name == "host" ||
         absl::StartsWith(name, kUltraClusterPrefix);
}

absl::StatusOr<TopologySpec> PresetTopologySpec(absl::string_view name) {
  if (name == "trn3-ultraserver") return Trn3UltraServer();
  if (name == "trn3-ultraserver-gen1") return Trn3UltraServerGen1();
  if (name == "trn2-ultraserver") return Trn2UltraServer();
  if (name == "host") return HostTopologySpec(MeasureHost());
  if (absl::StartsWith(name, kUltraClusterPrefix)) return Trn3UltraCluster(name);
  return absl::NotFoundError(absl::StrCat("no topology preset named \"", name, "\""));
}

}  // namespace ultracc::topology
