// `ultracc launch --topology SPEC` (tools/launch/topology_shape.h): nodes and chips placed from the
// spec and ULTRACC_TOPOLOGY handed to every rank (a file by its absolute path); scaled down only by
// --ultraservers, --nodes and --chips-per-node; a spec too big for this host, or asked for more
// than it has, refused by name before anything starts.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/launch_fixture.h"

namespace ultracc {
namespace {

using ::testing::HasSubstr;
using ::ultracc::testing::LinesByRank;
using ::ultracc::testing::Subprocess;
using ::ultracc::testing::SubprocessOptions;
using ::ultracc::testing::SubprocessResult;

const std::string kSmallCluster = "tools/topo/examples/small-cluster.textproto";

// Runs `ultracc launch ARGS` from the source directory, so that the example spec's relative path
// resolves there and nowhere else.
SubprocessResult Launch(const std::vector<std::string>& args) {
  SubprocessOptions options;
  options.argv = {ULTRACC_LAUNCHER, "launch"};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.env["ULTRACC_TIMEOUT_MS"] = "30000";
  options.unset_env = {"ULTRACC_TOPOLOGY", "ULTRACC_ALGO", "ULTRACC_DEBUG"};
  options.working_directory = ULTRACC_SOURCE_DIR;
  absl::StatusOr<std::unique_ptr<Subprocess>> p = Subprocess::Start(options);
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return {};
  absl::StatusOr<SubprocessResult> r = (*p)->Wait(absl::Now() + absl::Seconds(60));
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : SubprocessResult{};
}

TEST(LaunchTopologyTest, PlacesNodesAndChipsFromTheSpecAndPassesItOn) {
  SubprocessResult r = Launch({"--topology", kSmallCluster, "--", "printenv", "ULTRACC_TOPOLOGY",
                               "ULTRACC_WORLD_SIZE", "ULTRACC_LOCAL_SIZE"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::map<int, std::vector<std::string>> lines = LinesByRank(r.out);
  const std::string absolute = absl::StrCat(ULTRACC_SOURCE_DIR, "/", kSmallCluster);
  for (int rank = 0; rank < 8; ++rank) {
    EXPECT_EQ(lines[rank], (std::vector<std::string>{absolute, "8", "2"})) << "rank " << rank;
  }
  EXPECT_EQ(lines.count(8), 0u) << r.out;
}

// --emulate-links reaches every daemon and rank as ULTRACC_EMULATE_LINKS; the daemons then hold
// their links to the spec's ratios (collectives over them: ApiTopology.small_cluster.emulated).
TEST(LaunchTopologyTest, EmulatedLinksArePassedOn) {
  SubprocessResult r = Launch({"--topology", kSmallCluster, "--emulate-links", "8", "--",
                               "printenv", "ULTRACC_EMULATE_LINKS"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::map<int, std::vector<std::string>> lines = LinesByRank(r.out);
  for (int rank = 0; rank < 8; ++rank) {
    EXPECT_EQ(lines[rank], std::vector<std::string>{"8"}) << "rank " << rank;
  }
}

TEST(LaunchTopologyTest, ScalesDownOnlyWhereAsked) {
  // One of the two UltraServers: 2 nodes x 2 chips; a preset travels by its name.
  SubprocessResult r = Launch(
      {"--topology", kSmallCluster, "--ultraservers", "1", "--", "printenv", "ULTRACC_WORLD_SIZE"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(LinesByRank(r.out)[3], std::vector<std::string>{"4"});
  EXPECT_EQ(LinesByRank(r.out).count(4), 0u) << r.out;

  r = Launch({"--topology", "trn3-ultraserver", "--nodes", "2", "--chips-per-node", "1", "--",
              "printenv", "ULTRACC_TOPOLOGY"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(LinesByRank(r.out)[1], std::vector<std::string>{"trn3-ultraserver"});
}

TEST(LaunchTopologyTest, WhatDoesNotFitIsRefusedByName) {
  struct Case {
    std::vector<std::string> flags;
    std::vector<std::string> named;
  };
  const std::vector<Case> cases = {
      // 144 chips: more rank processes than this host runs.
      {{"--topology", "trn3-ultraserver"},
       {"144 chips", "--ultraservers", "--nodes", "--chips-per-node"}},
      {{"--topology", kSmallCluster, "--ultraservers", "3"}, {"--ultraservers 3", "has 2"}},
      {{"--topology", kSmallCluster, "--chips-per-node", "4"}, {"do not fit"}},
      {{"--topology", "no-such-preset"}, {"--topology no-such-preset"}},
      {{"--ultraservers", "1"}, {"--ultraservers needs --topology"}},
      {{"--emulate-links", "8"}, {"--emulate-links needs --topology"}},
      {{"--topology", kSmallCluster, "--emulate-links", "-1"}, {"--emulate-links"}},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = c.flags;
    args.insert(args.end(), {"--", "true"});
    SubprocessResult r = Launch(args);
    EXPECT_EQ(r.exit_code, 2) << absl::StrJoin(c.flags, " ") << "\n" << r.err;
    for (const std::string& name : c.named) {
      EXPECT_THAT(r.err, HasSubstr(name)) << absl::StrJoin(c.flags, " ");
    }
    EXPECT_EQ(r.out, "");
  }
}

}  // namespace
}  // namespace ultracc
