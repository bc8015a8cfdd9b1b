// What a topology spec must mean: each rule's error names the field and the line it appears on
// (or the source alone when the field is missing or the spec has no text).
#include "runtime/topology/spec_validation.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/topology/presets.h"
#include "runtime/topology/spec_text.h"

namespace ultracc::topology {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ParseError(const std::string& text) {
  absl::StatusOr<proto::TopologySpec> spec = ParseTopologySpec(text, "t.textproto");
  EXPECT_FALSE(spec.ok()) << text;
  return spec.ok() ? std::string() : std::string(spec.status().message());
}

constexpr char kCounts[] = "chips_per_node: 2\nnodes_per_ultraserver: 1\nultraservers: 1\n";
constexpr char kNode[] = "node { shape: SWITCH bandwidth_gb_per_s: 10 latency_us: 1 }\n";

TEST(SpecValidationTest, CountsMustBePositive) {
  EXPECT_THAT(ParseError(std::string("chips_per_node: 2\nnodes_per_ultraserver: -3\n"
                                     "ultraservers: 1\n") +
                         kNode),
              HasSubstr("t.textproto:2:1: nodes_per_ultraserver: must be at least 1, got -3"));
  EXPECT_THAT(ParseError(std::string("chips_per_node: 2\nnodes_per_ultraserver: 1\n") + kNode),
              HasSubstr("t.textproto: ultraservers: missing; it must be at least 1"));
}

TEST(SpecValidationTest, BandwidthMustBePositiveAndLatencyNotNegative) {
  const std::string error = ParseError(std::string(kCounts) +
                                       "node {\n"
                                       "  shape: SWITCH\n"
                                       "  bandwidth_gb_per_s: -5\n"
                                       "  latency_us: -1\n"
                                       "}\n");
  EXPECT_THAT(error,
              HasSubstr("t.textproto:6:3: node.bandwidth_gb_per_s: must be positive, got -5"));
  EXPECT_THAT(error, HasSubstr("t.textproto:7:3: node.latency_us: must be at least 0, got -1"));
  EXPECT_THAT(ParseError(std::string(kCounts) + "node { shape: SWITCH latency_us: 1 }\n"),
              HasSubstr("node.bandwidth_gb_per_s: must be positive, got 0"));
  EXPECT_THAT(ParseError(std::string(kCounts) +
                         "node { shape: SWITCH bandwidth_gb_per_s: inf latency_us: 1 }\n"),
              HasSubstr("t.textproto:4:22: node.bandwidth_gb_per_s: must be a finite number"));
}

TEST(SpecValidationTest, LevelsWithSeveralMembersNeedLinks) {
  EXPECT_THAT(ParseError("chips_per_node: 2\nnodes_per_ultraserver: 1\nultraservers: 3\n" +
                         std::string(kNode)),
              HasSubstr("t.textproto:3:1: ultraservers: 3 UltraServers need a `cluster { ... }` "
                        "level"));
  EXPECT_THAT(ParseError(std::string(kCounts) + "node { bandwidth_gb_per_s: 1 }\n"),
              HasSubstr("t.textproto:4:1: node.shape: missing"));
}

TEST(SpecValidationTest, TorusExtentsMustMatchTheMembers) {
  const std::string counts = "chips_per_node: 16\nnodes_per_ultraserver: 1\nultraservers: 1\n";
  EXPECT_THAT(ParseError(counts + "node {\n  shape: TORUS\n  torus_dims: [4, 2]\n"
                                  "  bandwidth_gb_per_s: 1\n}\n"),
              HasSubstr("t.textproto:6:3: node.torus_dims: 4 x 2 = 8 members, but chips_per_node "
                        "is 16"));
  EXPECT_THAT(ParseError(counts + "node { shape: TORUS bandwidth_gb_per_s: 1 }\n"),
              HasSubstr("node.torus_dims: missing"));
  EXPECT_THAT(ParseError(counts + "node { shape: SWITCH torus_dims: 16 bandwidth_gb_per_s: 1 }\n"),
              HasSubstr("node.torus_dims: given for a level whose shape is not TORUS"));
  EXPECT_THAT(
      ParseError(counts + "node { shape: TORUS torus_dims: [4, 0] bandwidth_gb_per_s: 1 }\n"),
      HasSubstr("node.torus_dims[1]: must be at least 1, got 0"));
}

TEST(SpecValidationTest, HostsPlaceEveryNodeOnce) {
  const std::string base =
      "chips_per_node: 1\nnodes_per_ultraserver: 3\nultraservers: 1\n"
      "ultraserver { shape: SWITCH bandwidth_gb_per_s: 1 }\n";
  const std::string error = ParseError(base +
                                       "hosts { host: \"a\" nodes: [0, 1] }\n"
                                       "hosts {\n"
                                       "  host: \"b\"\n"
                                       "  nodes: 1\n"
                                       "  nodes: 7\n"
                                       "}\n");
  EXPECT_THAT(error, HasSubstr("t.textproto:8:3: hosts[1].nodes[0]: node 1 is placed twice (also "
                               "in hosts[0])"));
  EXPECT_THAT(error, HasSubstr("t.textproto:9:3: hosts[1].nodes[1]: node 7 does not exist; "
                               "nodes are 0 .. 2"));
  EXPECT_THAT(error, HasSubstr("hosts: node 2 is on no host"));
  EXPECT_THAT(ParseError(base + "hosts { nodes: [0, 1, 2] }\n"),
              HasSubstr("t.textproto:5:1: hosts[0].host: missing"));
}

TEST(SpecValidationTest, ChipFiguresMustNotBeNegative) {
  EXPECT_THAT(ParseError(std::string(kCounts) + kNode + "chip { memory_gib: -1 }\n"),
              HasSubstr("t.textproto:5:8: chip.memory_gib: must be at least 0, got -1"));
}

TEST(SpecValidationTest, TooManyChips) {
  EXPECT_THAT(ParseError("chips_per_node: 4096\nnodes_per_ultraserver: 4096\nultraservers: 2\n"
                         "node { shape: SWITCH bandwidth_gb_per_s: 1 }\n"
                         "ultraserver { shape: SWITCH bandwidth_gb_per_s: 1 }\n"
                         "cluster { shape: SWITCH bandwidth_gb_per_s: 1 }\n"),
              HasSubstr("33554432 chips"));
}

TEST(SpecValidationTest, WithoutTextErrorsNameTheFieldOnly) {
  absl::StatusOr<proto::TopologySpec> spec = PresetTopologySpec("trn3-ultraserver");
  ASSERT_TRUE(spec.ok());
  EXPECT_TRUE(ValidateTopologySpec(*spec, "trn3-ultraserver").ok());
  spec->mutable_ultraserver()->set_bandwidth_gb_per_s(-1);
  const absl::Status status = ValidateTopologySpec(*spec, "trn3-ultraserver");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "trn3-ultraserver: ultraserver.bandwidth_gb_per_s: must be positive, got -1");
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("node.")));
}

}  // namespace
}  // namespace ultracc::topology
