// The topology model: levels, units, aggregate and bisection bandwidth per shape, and SPEC
// arguments that name a preset or a file.
#include "runtime/topology/topology.h"

#include <cstdio>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/topology/presets.h"
#include "runtime/topology/topology_source.h"

namespace ultracc::topology {
namespace {

using ::testing::HasSubstr;

Topology Load(absl::string_view spec) {
  absl::StatusOr<Topology> topology = LoadTopology(spec);
  EXPECT_TRUE(topology.ok()) << spec << ": " << topology.status();
  return topology.ok() ? *topology : Topology();
}

TEST(TopologyTest, LevelsCountUnitsAndMembers) {
  const Topology t = Load("trn3-ultracluster:4");
  ASSERT_EQ(t.levels().size(), 3u);
  const TopologyLevel& node = t.level(LevelKind::kNode);
  EXPECT_EQ(node.members, 4);
  EXPECT_EQ(node.units, 4 * 36);
  EXPECT_EQ(node.chips_per_unit, 4);
  const TopologyLevel& server = t.level(LevelKind::kUltraServer);
  EXPECT_EQ(server.members, 36);
  EXPECT_EQ(server.units, 4);
  EXPECT_EQ(server.chips_per_unit, 144);
  const TopologyLevel& cluster = t.level(LevelKind::kCluster);
  EXPECT_EQ(cluster.members, 4);
  EXPECT_EQ(cluster.units, 1);
  EXPECT_EQ(cluster.chips_per_unit, 576);
}

TEST(TopologyTest, SwitchLevelsCarryHalfTheirInjectionAcrossTheBisection) {
  const Topology t = Load("trn3-ultraserver");
  EXPECT_DOUBLE_EQ(t.level(LevelKind::kNode).AggregateGbPerS(), 4 * 2000);
  EXPECT_DOUBLE_EQ(t.level(LevelKind::kNode).BisectionGbPerS(), 2 * 2000);
  EXPECT_DOUBLE_EQ(t.level(LevelKind::kUltraServer).AggregateGbPerS(), 144 * 2000);
  EXPECT_DOUBLE_EQ(t.level(LevelKind::kUltraServer).BisectionGbPerS(), 72 * 2000);
  // One UltraServer: the cut runs through its switch, not the cluster network.
  ASSERT_NE(t.BisectionLevel(), nullptr);
  EXPECT_EQ(t.BisectionLevel()->kind, LevelKind::kUltraServer);
  EXPECT_DOUBLE_EQ(t.BisectionGbPerS(), 144'000);

  const Topology cluster = Load("trn3-ultracluster:4");
  EXPECT_EQ(cluster.BisectionLevel()->kind, LevelKind::kCluster);
  // Two UltraServers' EFA, 28.8 Tbps = 3600 GB/s each.
  EXPECT_DOUBLE_EQ(cluster.BisectionGbPerS(), 2 * 3600);
  EXPECT_DOUBLE_EQ(cluster.level(LevelKind::kCluster).AggregateGbPerS(), 4 * 3600);
}

TEST(TopologyTest, TorusAndRingBisections) {
  const Topology t = Load("trn2-ultraserver");
  // 4x4 torus: halving cuts 4 lines twice; a chip's 853 GB/s spreads over 4 links.
  EXPECT_DOUBLE_EQ(t.level(LevelKind::kNode).BisectionGbPerS(), 4 * 2 * 853 / 4.0);
  // 16 rings of 4 instances, each cut twice at half a chip's 427 GB/s.
  EXPECT_DOUBLE_EQ(t.level(LevelKind::kUltraServer).BisectionGbPerS(), 16 * 427);
  EXPECT_DOUBLE_EQ(t.BisectionGbPerS(), 16 * 427);
}

TEST(TopologyTest, OneChipHasNoBisection) {
  proto::TopologySpec spec;
  spec.set_chips_per_node(1);
  spec.set_nodes_per_ultraserver(1);
  spec.set_ultraservers(1);
  absl::StatusOr<Topology> t = Topology::FromSpec(spec);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->chips(), 1);
  EXPECT_EQ(t->BisectionLevel(), nullptr);
  EXPECT_EQ(t->BisectionGbPerS(), 0);
}

TEST(TopologyTest, InvalidSpecsAreRefused) {
  proto::TopologySpec spec;
  spec.set_name("broken");
  spec.set_chips_per_node(2);
  spec.set_nodes_per_ultraserver(1);
  spec.set_ultraservers(1);
  absl::StatusOr<Topology> t = Topology::FromSpec(spec);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(t.status().message(), HasSubstr("broken: chips_per_node: 2 chips need a `node"));
}

TEST(TopologyTest, SpecArgumentsArePresetsOrFiles) {
  EXPECT_EQ(Load("trn3-ultraserver").chips(), 144);
  const std::string path = ::testing::TempDir() + "/topology_test.textproto";
  {
    std::ofstream file(path);
    file << "name: \"pair\"\nchips_per_node: 2\nnodes_per_ultraserver: 1\nultraservers: 1\n"
            "node { shape: SWITCH bandwidth_gb_per_s: 5 }\n";
  }
  EXPECT_EQ(Load(path).chips(), 2);
  std::remove(path.c_str());
  absl::StatusOr<Topology> missing = LoadTopology(path);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("neither a preset (trn3-ultraserver"));
  EXPECT_EQ(LoadTopology("trn3-ultracluster:0").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ultracc::topology
