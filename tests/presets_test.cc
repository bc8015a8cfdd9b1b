// The named topologies: chip counts, figures, N of trn3-ultracluster:N, and the measured host.
#include "runtime/topology/presets.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/topology/host_topology.h"
#include "runtime/topology/spec_validation.h"
#include "runtime/topology/topology.h"

namespace ultracc::topology {
namespace {

using ::testing::HasSubstr;

Topology Load(absl::string_view name) {
  absl::StatusOr<proto::TopologySpec> spec = PresetTopologySpec(name);
  EXPECT_TRUE(spec.ok()) << spec.status();
  absl::StatusOr<Topology> topology = Topology::FromSpec(spec.ok() ? *spec : proto::TopologySpec());
  EXPECT_TRUE(topology.ok()) << name << ": " << topology.status();
  return topology.ok() ? *topology : Topology();
}

TEST(PresetsTest, Trn3UltraServerIs36ServersOf4Chips) {
  const Topology t = Load("trn3-ultraserver");
  EXPECT_EQ(t.chips(), 144);
  EXPECT_EQ(t.nodes(), 36);
  EXPECT_EQ(t.spec().chips_per_node(), 4);
  EXPECT_EQ(t.spec().chip().memory_gib(), 144);
  EXPECT_EQ(t.memory_bandwidth_gb_per_s(), 4900);
  EXPECT_EQ(t.level(LevelKind::kNode).bandwidth_gb_per_s(), 2000);
  EXPECT_EQ(t.level(LevelKind::kUltraServer).latency_us(), 9.5);
  // 28.8 Tbps of EFA per UltraServer.
  EXPECT_DOUBLE_EQ(t.level(LevelKind::kCluster).bandwidth_gb_per_s() * 144 * 8, 28'800);
  EXPECT_EQ(t.level(LevelKind::kCluster).latency_us(), 15);
}

TEST(PresetsTest, Trn3Gen1AndTrn2UltraServersHold64Chips) {
  const Topology gen1 = Load("trn3-ultraserver-gen1");
  EXPECT_EQ(gen1.chips(), 64);
  EXPECT_EQ(gen1.spec().chips_per_node(), 16);
  EXPECT_EQ(gen1.spec().nodes_per_ultraserver(), 4);

  const Topology trn2 = Load("trn2-ultraserver");
  EXPECT_EQ(trn2.chips(), 64);
  EXPECT_EQ(trn2.level(LevelKind::kNode).links.shape(), proto::LevelSpec::TORUS);
  EXPECT_THAT(trn2.level(LevelKind::kNode).links.torus_dims(), ::testing::ElementsAre(4, 4));
  EXPECT_EQ(trn2.level(LevelKind::kUltraServer).links.shape(), proto::LevelSpec::RING);
  // The torus and ring shares add up to NeuronLink-v3's 1.28 TB/s per chip.
  EXPECT_EQ(trn2.level(LevelKind::kNode).bandwidth_gb_per_s() +
                trn2.level(LevelKind::kUltraServer).bandwidth_gb_per_s(),
            1280);
  EXPECT_EQ(trn2.memory_bandwidth_gb_per_s(), 2900);
}

TEST(PresetsTest, UltraClusterTakesAValidatedNumberOfUltraServers) {
  const Topology cluster = Load("trn3-ultracluster:4");
  EXPECT_EQ(cluster.chips(), 4 * 144);
  EXPECT_EQ(cluster.spec().name(), "trn3-ultracluster:4");
  EXPECT_EQ(Load("trn3-ultracluster:6944").chips(), 6944 * 144);
  for (absl::string_view bad :
       {"trn3-ultracluster:0", "trn3-ultracluster:6945",
        "trn3-ultracluster:", "trn3-ultracluster:4x", "trn3-ultracluster:-2"}) {
    absl::StatusOr<proto::TopologySpec> spec = PresetTopologySpec(bad);
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(spec.status().message(), HasSubstr("from 1 to 6944")) << bad;
  }
}

TEST(PresetsTest, UnknownNamesAreNotPresets) {
  EXPECT_FALSE(IsPresetName("trn4-ultraserver"));
  EXPECT_TRUE(IsPresetName("trn3-ultracluster:x"));
  EXPECT_EQ(PresetTopologySpec("trn4-ultraserver").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(PresetNames().size(), 5u);
}

TEST(PresetsTest, HostIsOneNodeOfItsProcessors) {
  const HostFacts facts = MeasureHost();
  EXPECT_GE(facts.processors, 1);
  EXPECT_GT(facts.memory_gib, 0);
  EXPECT_GT(facts.copy_gb_per_s, 0);
  EXPECT_GT(facts.handoff_latency_us, 0);
  const Topology host = Load("host");
  EXPECT_EQ(host.chips(), facts.processors);
  EXPECT_EQ(host.nodes(), 1);
  EXPECT_EQ(host.level(LevelKind::kNode).links.shape(), proto::LevelSpec::SHARED_MEMORY);
  ASSERT_EQ(host.spec().hosts_size(), 1);
  EXPECT_EQ(host.spec().hosts(0).host(), facts.hostname);
}

TEST(PresetsTest, HostSpecFromFactsScalesThemPerChip) {
  HostFacts facts{.hostname = "h",
                  .processors = 8,
                  .memory_gib = 64,
                  .copy_gb_per_s = 10,
                  .handoff_latency_us = 3};
  const proto::TopologySpec spec = HostTopologySpec(facts);
  EXPECT_TRUE(ValidateTopologySpec(spec, "host").ok());
  EXPECT_EQ(spec.chips_per_node(), 8);
  EXPECT_EQ(spec.chip().memory_gib(), 8);
  EXPECT_EQ(spec.chip().memory_bandwidth_gb_per_s(), 20);
  EXPECT_EQ(spec.node().bandwidth_gb_per_s(), 10);
  EXPECT_EQ(spec.node().latency_us(), 3);
  // A failed measurement still gives a valid spec.
  EXPECT_TRUE(ValidateTopologySpec(HostTopologySpec(HostFacts{}), "host").ok());
}

}  // namespace
}  // namespace ultracc::topology
