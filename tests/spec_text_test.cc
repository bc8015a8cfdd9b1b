// Topology specs in text format: a valid spec parses; syntax errors, unknown fields and bad values
// are reported with the source, the line and the field; printing reads back to the same spec.
#include "runtime/topology/spec_text.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "runtime/topology/presets.h"

namespace ultracc::topology {
namespace {

using ::testing::HasSubstr;

// Two UltraServers of two nodes of two chips: the smallest three-level topology.
// Not an R"pb( string, which clang-format would reflow: the tests count its lines.
constexpr char kSmall[] = R"spec(name: "small"
chips_per_node: 2
nodes_per_ultraserver: 2
ultraservers: 2
node { shape: SWITCH bandwidth_gb_per_s: 100 latency_us: 1 }
ultraserver {
  shape: SWITCH
  bandwidth_gb_per_s: 50
  latency_us: 5
}
cluster { link: "EFA" shape: SWITCH bandwidth_gb_per_s: 10 latency_us: 15 }
)spec";

// kSmall with line `line` (1-based) replaced by `text`.
std::string WithLine(int line, absl::string_view text) {
  std::string out;
  int at = 1;
  for (absl::string_view rest = kSmall; !rest.empty(); ++at) {
    const size_t end = rest.find('\n');
    const absl::string_view current = rest.substr(0, end);
    absl::StrAppend(&out, at == line ? text : current, "\n");
    rest = end == absl::string_view::npos ? absl::string_view() : rest.substr(end + 1);
  }
  return out;
}

TEST(SpecTextTest, ParsesAValidSpec) {
  absl::StatusOr<proto::TopologySpec> spec = ParseTopologySpec(kSmall, "small.textproto");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->chips_per_node(), 2);
  EXPECT_EQ(spec->ultraservers(), 2);
  EXPECT_EQ(spec->ultraserver().bandwidth_gb_per_s(), 50);
  EXPECT_EQ(spec->cluster().link(), "EFA");
}

TEST(SpecTextTest, SyntaxErrorNamesLineAndField) {
  absl::StatusOr<proto::TopologySpec> spec =
      ParseTopologySpec(WithLine(8, "  bandwidth_gb_per_s 50"), "s.textproto");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.status().message(), HasSubstr("s.textproto:8:"));
  EXPECT_THAT(spec.status().message(), HasSubstr("ultraserver.bandwidth_gb_per_s"));
}

TEST(SpecTextTest, UnknownFieldNamesLineAndField) {
  absl::StatusOr<proto::TopologySpec> spec =
      ParseTopologySpec(WithLine(2, "chip_per_node: 2"), "s.textproto");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.status().message(), HasSubstr("s.textproto:2:"));
  EXPECT_THAT(spec.status().message(), HasSubstr(": chip_per_node: "));
  EXPECT_THAT(spec.status().message(), HasSubstr("no field named \"chip_per_node\""));
}

TEST(SpecTextTest, BadValueNamesLineAndField) {
  absl::StatusOr<proto::TopologySpec> spec =
      ParseTopologySpec(WithLine(9, "  latency_us: fast"), "s.textproto");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.status().message(), HasSubstr("s.textproto:9:"));
  EXPECT_THAT(spec.status().message(), HasSubstr("ultraserver.latency_us: "));

  spec = ParseTopologySpec(WithLine(3, "nodes_per_ultraserver: 2.5"), "s.textproto");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.status().message(), HasSubstr("s.textproto:3:"));
  EXPECT_THAT(spec.status().message(), HasSubstr("nodes_per_ultraserver"));

  spec =
      ParseTopologySpec(WithLine(5, "node { shape: MESH bandwidth_gb_per_s: 100 }"), "s.textproto");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.status().message(), HasSubstr("s.textproto:5:"));
  EXPECT_THAT(spec.status().message(), HasSubstr("node.shape"));
  EXPECT_THAT(spec.status().message(), HasSubstr("MESH"));
}

TEST(SpecTextTest, UnclosedMessageNamesIt) {
  absl::StatusOr<proto::TopologySpec> spec =
      ParseTopologySpec("chips_per_node: 1\nnode { shape: SWITCH\n", "s.textproto");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.status().message(),
              HasSubstr("s.textproto:3:1: node: the text ends inside this message; a '}' is "
                        "missing"));
}

TEST(SpecTextTest, SemanticErrorsComeFromTheParseToo) {
  absl::StatusOr<proto::TopologySpec> spec = ParseTopologySpec(WithLine(2, "chips_per_node: 0"));
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.status().message(),
              HasSubstr("<string>:2:1: chips_per_node: must be at least 1, got 0"));
}

TEST(SpecTextTest, PrintedSpecsParseBackEqual) {
  for (absl::string_view name :
       {"trn3-ultraserver", "trn3-ultraserver-gen1", "trn2-ultraserver", "trn3-ultracluster:3"}) {
    absl::StatusOr<proto::TopologySpec> preset = PresetTopologySpec(name);
    ASSERT_TRUE(preset.ok()) << preset.status();
    const std::string text = PrintTopologySpec(*preset);
    absl::StatusOr<proto::TopologySpec> back = ParseTopologySpec(text, name);
    ASSERT_TRUE(back.ok()) << back.status() << "\n" << text;
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*preset, *back)) << text;
  }
  absl::StatusOr<proto::TopologySpec> small = ParseTopologySpec(kSmall);
  ASSERT_TRUE(small.ok());
  absl::StatusOr<proto::TopologySpec> back = ParseTopologySpec(PrintTopologySpec(*small));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*small, *back));
}

TEST(SpecTextTest, ReadsFilesAndNamesMissingOnes) {
  const std::string path = ::testing::TempDir() + "/spec_text_test.textproto";
  {
    std::ofstream file(path);
    file << kSmall;
  }
  absl::StatusOr<proto::TopologySpec> spec = ReadTopologySpecFile(path);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name(), "small");
  std::remove(path.c_str());
  spec = ReadTopologySpecFile(path);
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(spec.status().message(), HasSubstr(path));
  spec = ReadTopologySpecFile(::testing::TempDir());
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(spec.status().message(), HasSubstr("is a directory"));
}

}  // namespace
}  // namespace ultracc::topology
