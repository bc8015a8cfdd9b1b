// Jobs through `ultracc launch` in daemon mode (tools/launch/, runtime/daemon/, runtime/client/):
// the ranks of emulated multi-node jobs all-reduce float32 buffers and get the exact sums, in
// several node x chip shapes; every rank sees its identity in the environment; every output line
// carries its rank; and a finished job leaves nothing behind. The exit paths of a job (a failing
// rank, signals) are in launch_exit_test.cc.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/testing/launch_fixture.h"

namespace ultracc {
namespace {

using ::ultracc::testing::LaunchFixture;
using ::ultracc::testing::LinesByRank;
using ::ultracc::testing::RankProcess;
using ::ultracc::testing::Subprocess;

// Oversubscribed (up to 8 ranks and 8 daemons on two cores), a job may be slow, never stuck.
constexpr absl::Duration kJobDeadline = absl::Seconds(100);

struct Shape {
  int nodes;
  int chips_per_node;
};

std::string ShapeName(const ::testing::TestParamInfo<Shape>& info) {
  return absl::StrCat(info.param.nodes, "x", info.param.chips_per_node);
}

class LaunchTest : public LaunchFixture {
 protected:
  // Starts allreduce_check with `args` as a nodes x chips job.
  absl::StatusOr<std::unique_ptr<Subprocess>> StartAllReduceJob(
      int nodes, int chips, const std::vector<std::string>& args) {
    std::vector<std::string> command = {ULTRACC_ALLREDUCE_CHECK};
    command.insert(command.end(), args.begin(), args.end());
    return StartJob(nodes, chips, command);
  }

  // Waits for the job and expects each of its `world` ranks to report `cases` passed cases.
  void ExpectAllRanksPass(Subprocess& launcher, int world, int cases) {
    auto result = launcher.Wait(absl::Now() + kJobDeadline);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->exit_code, 0) << "stdout:\n" << result->out << "\nstderr:\n" << result->err;
    std::map<int, std::vector<std::string>> lines = LinesByRank(result->out);
    for (int r = 0; r < world; ++r) {
      std::string ok =
          absl::StrCat("allreduce_check: rank ", r, " of ", world, ": OK (", cases, " cases)");
      EXPECT_NE(std::find(lines[r].begin(), lines[r].end(), ok), lines[r].end())
          << "no '[" << r << "] " << ok << "' in:\n"
          << result->out;
    }
    EXPECT_EQ(result->out.find("FAIL"), std::string::npos) << result->out;
    ExpectJobGone(launcher, {});
  }

  void ExpectAllReduceJobPasses(int nodes, int chips, const std::vector<std::string>& args,
                                int cases) {
    auto launcher = StartAllReduceJob(nodes, chips, args);
    ASSERT_TRUE(launcher.ok()) << launcher.status();
    ExpectAllRanksPass(**launcher, nodes * chips, cases);
  }
};

// The acceptance job: 2 nodes x 4 chips, counts 1 to 2^24 (odd ones included), in place
// and out of place, arena and malloc buffers, NULL and created streams.
TEST_F(LaunchTest, AllReduceTwoNodesOfFourChipsFullSweep) {
  ExpectAllReduceJobPasses(2, 4, {}, 7 * 8);
}

class LaunchShapeTest : public LaunchTest, public ::testing::WithParamInterface<Shape> {};

// The sweep's counts up to 2^22 + 1 (16 MiB: a message of many slices, past the receive window);
// 2^24 is the full sweep's above, which takes most of its time.
TEST_P(LaunchShapeTest, AllReduceIsExact) {
  ExpectAllReduceJobPasses(GetParam().nodes, GetParam().chips_per_node,
                           {"--counts", "1,3,7,1000,65537,1048577,4194305"}, 7 * 8);
}

// 1, 2, 3 and 8 ranks, all on one node and one per node (2 x 4 is the full-sweep test above).
INSTANTIATE_TEST_SUITE_P(Shapes, LaunchShapeTest,
                         ::testing::Values(Shape{1, 1}, Shape{2, 1}, Shape{1, 2}, Shape{3, 1},
                                           Shape{1, 3}, Shape{8, 1}, Shape{1, 8}),
                         ShapeName);

// Two jobs on one host at once: their daemons, sockets and rendezvous keys stay apart.
TEST_F(LaunchTest, TwoJobsAtOnceStayApart) {
  const std::vector<std::string> args = {"--counts", "1,1000,65537", "--buffers", "arena"};
  auto first = StartAllReduceJob(2, 2, args);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = StartAllReduceJob(2, 2, args);
  ASSERT_TRUE(second.ok()) << second.status();
  ExpectAllRanksPass(**first, 4, 3 * 4);
  ExpectAllRanksPass(**second, 4, 3 * 4);
}

TEST_F(LaunchTest, RanksSeeTheirIdentityAndOutputCarriesTheirRank) {
  const int nodes = 2, chips = 3, world = nodes * chips;
  auto launcher =
      StartJob(nodes, chips, {ULTRACC_RANK_PROBE, "--print-env", "--pid-dir", scratch_dir()});
  ASSERT_TRUE(launcher.ok()) << launcher.status();
  auto result = (*launcher)->Wait(absl::Now() + kJobDeadline);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->exit_code, 0) << result->err;
  auto pids = AwaitPidFiles(world, absl::Now());
  ASSERT_TRUE(pids.ok()) << pids.status();

  std::map<int, std::vector<std::string>> out = LinesByRank(result->out);
  std::map<int, std::vector<std::string>> err = LinesByRank(result->err);
  EXPECT_EQ(out.count(-1), 0u) << "stdout lines without a rank prefix:\n" << result->out;
  std::set<std::string> job_ids;
  for (int r = 0; r < world; ++r) {
    SCOPED_TRACE(absl::StrCat("rank ", r));
    const int node = r / chips, local = r % chips;
    std::map<std::string, std::string> env;
    for (const std::string& line : out[r]) {
      ASSERT_EQ(line.rfind("env ", 0), 0u) << line;
      std::pair<std::string, std::string> kv = absl::StrSplit(line.substr(4), '=');
      env[kv.first] = kv.second;
    }
    std::map<std::string, std::string> expected = {
        {"ULTRACC_RANK", absl::StrCat(r)},           {"ULTRACC_WORLD_SIZE", absl::StrCat(world)},
        {"ULTRACC_LOCAL_RANK", absl::StrCat(local)}, {"ULTRACC_LOCAL_SIZE", absl::StrCat(chips)},
        {"ULTRACC_NODE_RANK", absl::StrCat(node)},   {"RANK", absl::StrCat(r)},
        {"WORLD_SIZE", absl::StrCat(world)},         {"LOCAL_RANK", absl::StrCat(local)},
        {"LOCAL_WORLD_SIZE", absl::StrCat(chips)}};
    for (const auto& [name, value] : expected) EXPECT_EQ(env[name], value) << name;
    job_ids.insert(env["ULTRACC_JOB_ID"]);
    EXPECT_EQ(env["ULTRACC_DAEMON_SOCKET"],
              absl::StrCat("ultraccd.", env["ULTRACC_JOB_ID"], ".", node));
    ASSERT_EQ(err[r].size(), 1u) << result->err;
    EXPECT_EQ(err[r][0], absl::StrCat("stderr of rank ", r));
    // Ranks of one node are children of that node's daemon, and only of it.
    EXPECT_EQ((*pids)[r].parent, (*pids)[node * chips].parent);
    if (node > 0) {
      EXPECT_NE((*pids)[r].parent, (*pids)[0].parent);
    }
  }
  EXPECT_EQ(job_ids.size(), 1u);
  ExpectJobGone(**launcher, *pids);
}

}  // namespace
}  // namespace ultracc
