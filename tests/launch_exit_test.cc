// The exit paths of a job run by `ultracc launch` (tools/launch/, runtime/daemon/): a rank that
// fails stops the job with its exit code, SIGINT and SIGTERM to the launcher stop everything, a
// launcher killed outright takes its daemons and ranks with it, a program that cannot start fails
// the launch; and after each, no daemon, rank, socket or shared-memory name of the job remains.
#include <signal.h>

#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/testing/launch_fixture.h"

namespace ultracc {
namespace {

using ::ultracc::testing::AbstractSockets;
using ::ultracc::testing::LaunchFixture;
using ::ultracc::testing::ProcessesWithEnvironment;
using ::ultracc::testing::ProcessGone;

constexpr absl::Duration kStartDeadline = absl::Seconds(30);
// The bound: a failing rank ends the job within 10 s.
constexpr absl::Duration kStopBound = absl::Seconds(10);

class LaunchExitTest : public LaunchFixture {
 protected:
  static constexpr int kNodes = 2;
  static constexpr int kChips = 2;
  static constexpr int kWorld = kNodes * kChips;

  // rank_probe arguments for ranks that write pid files and then sleep far past any deadline.
  std::vector<std::string> SleepingRanks() {
    return {ULTRACC_RANK_PROBE, "--pid-dir", scratch_dir(), "--sleep-ms", "600000"};
  }

  // Rank `failing` exits 3 (or dies of `extra`'s --fail-signal) once every rank wrote its pid
  // file, while the others sleep: the launcher exits with that code within 10 s, and every other
  // rank, on the failing rank's node and on the other one, is gone.
  void ExpectFailingRankStopsJob(int failing, const std::vector<std::string>& extra,
                                 int expected_code) {
    std::vector<std::string> command = SleepingRanks();
    command.insert(command.end(), extra.begin(), extra.end());
    command.insert(command.end(),
                   {"--fail-rank", absl::StrCat(failing), "--await-pids", absl::StrCat(kWorld)});
    auto launcher = StartJob(kNodes, kChips, command);
    ASSERT_TRUE(launcher.ok()) << launcher.status();
    auto pids = AwaitPidFiles(kWorld, absl::Now() + kStartDeadline);
    ASSERT_TRUE(pids.ok()) << pids.status() << "\n" << (*launcher)->Stderr();
    absl::Time failed_around = absl::Now();
    auto result = (*launcher)->Wait(absl::Now() + kStartDeadline);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->exit_code, expected_code) << result->err;
    EXPECT_LT(absl::Now() - failed_around, kStopBound);
    EXPECT_NE(result->err.find(absl::StrCat("rank ", failing, " exited with code ", expected_code)),
              std::string::npos)
        << result->err;
    // The failing rank's last words reach the launcher with its rank prefix.
    EXPECT_NE(result->err.find(absl::StrCat("[", failing, "] rank_probe: rank ", failing, " ")),
              std::string::npos)
        << result->err;
    for (const auto& [rank, p] : *pids) EXPECT_TRUE(ProcessGone(p.pid)) << "rank " << rank;
    ExpectJobGone(**launcher, *pids);
  }
};

TEST_F(LaunchExitTest, FailingRankStopsTheJobWithItsExitCode) {
  ExpectFailingRankStopsJob(2, {}, 3);
}

// Ranks that ignore SIGTERM are killed once the grace period ends, still within 10 s.
TEST_F(LaunchExitTest, FailingRankStopsRanksThatIgnoreSigterm) {
  ExpectFailingRankStopsJob(1, {"--ignore-sigterm"}, 3);
}

// A rank killed by a signal (as by the OOM killer) counts as exit code 128+signal.
TEST_F(LaunchExitTest, KilledRankStopsTheJobWith128PlusSignal) {
  ExpectFailingRankStopsJob(0, {"--fail-signal", absl::StrCat(SIGKILL)}, 128 + SIGKILL);
}

// A rank that leaves without finalizing fails its peers' collectives at once, with an error
// naming it, rather than leaving them waiting for the timeout.
// A job shape and where its ranks meet, and what the survivors say about the lost rank there.
struct LostRankCase {
  const char* name;
  int nodes;
  int chips;
  bool share_host;
  const char* survivor_says;
};

void PrintTo(const LostRankCase& c, std::ostream* os) { *os << c.name; }

class LaunchLostRankTest : public LaunchExitTest,
                           public ::testing::WithParamInterface<LostRankCase> {};

// Rank 1 leaves without finalizing: the others fail promptly naming it, whether the ranks share
// memory (its daemon posts the cause on the call board, which in a two-node job both nodes' ranks
// map) or meet in the daemons (the engines' links carry it).
TEST_P(LaunchLostRankTest, LostRankFailsThePeersPromptly) {
  const LostRankCase& c = GetParam();
  auto launcher =
      StartJob(c.nodes, c.chips, {ULTRACC_ALLREDUCE_CHECK, "--quit-rank", "1", "--counts", "1000"},
               {}, {{"ULTRACC_SHARE_HOST", c.share_host ? "1" : "0"}});
  ASSERT_TRUE(launcher.ok()) << launcher.status();
  auto result = (*launcher)->Wait(absl::Now() + kStartDeadline);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 1) << result->out << result->err;
  EXPECT_LT(result->elapsed, kStopBound);
  EXPECT_NE(result->out.find("[1] allreduce_check: rank 1 leaves without finalizing"),
            std::string::npos)
      << result->out;
  EXPECT_NE(result->out.find(c.survivor_says), std::string::npos) << result->out;
  EXPECT_NE(result->out.find("rank 1 (pid"), std::string::npos) << result->out;
  EXPECT_NE(result->out.find("disconnected before finalizing"), std::string::npos) << result->out;
  ExpectJobGone(**launcher, {});
}

INSTANTIATE_TEST_SUITE_P(
    Sharing, LaunchLostRankTest,
    ::testing::Values(
        LostRankCase{"two_nodes_shared_memory", 2, 2, true, "[0] FAIL rank 0: count 1000"},
        LostRankCase{"two_nodes_through_daemons", 2, 2, false, "[0] FAIL rank 0: count 1000"},
        LostRankCase{"one_node", 1, 3, true, "waited for the other ranks: rank 1 (pid"}),
    [](const ::testing::TestParamInfo<LostRankCase>& info) { return info.param.name; });

class LaunchSignalTest : public LaunchExitTest, public ::testing::WithParamInterface<int> {};

// Ctrl-C (SIGINT) or SIGTERM to the launcher stops every rank and daemon; it exits 128+signal.
TEST_P(LaunchSignalTest, SignalToLauncherStopsEverything) {
  const int signal = GetParam();
  auto launcher = StartJob(kNodes, kChips, SleepingRanks());
  ASSERT_TRUE(launcher.ok()) << launcher.status();
  auto pids = AwaitPidFiles(kWorld, absl::Now() + kStartDeadline);
  ASSERT_TRUE(pids.ok()) << pids.status() << "\n" << (*launcher)->Stderr();
  // The footprint check sees the running job: its ranks, both daemons and their sockets.
  std::vector<pid_t> running = ProcessesWithEnvironment("ULTRACC_JOB_TOKEN", token());
  for (const auto& [rank, p] : *pids) {
    EXPECT_NE(std::find(running.begin(), running.end(), p.pid), running.end()) << rank;
    EXPECT_NE(std::find(running.begin(), running.end(), p.parent), running.end()) << rank;
  }
  EXPECT_EQ(AbstractSockets(Footprint(**launcher, *pids).socket_prefix).size(), size_t{kNodes});

  ASSERT_TRUE((*launcher)->Signal(signal).ok());
  auto result = (*launcher)->Wait(absl::Now() + kStopBound);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 128 + signal) << result->err;
  EXPECT_FALSE(result->signalled) << "the launcher should stop the job, not die of the signal";
  ExpectJobGone(**launcher, *pids);
}

INSTANTIATE_TEST_SUITE_P(Signals, LaunchSignalTest, ::testing::Values(SIGINT, SIGTERM),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::string(info.param == SIGINT ? "SIGINT" : "SIGTERM");
                         });

// A launcher killed outright cannot clean up; its daemons notice (parent-death signal) and stop
// their ranks.
TEST_F(LaunchExitTest, KilledLauncherTakesDaemonsAndRanksWithIt) {
  auto launcher = StartJob(kNodes, kChips, SleepingRanks());
  ASSERT_TRUE(launcher.ok()) << launcher.status();
  auto pids = AwaitPidFiles(kWorld, absl::Now() + kStartDeadline);
  ASSERT_TRUE(pids.ok()) << pids.status() << "\n" << (*launcher)->Stderr();
  ASSERT_TRUE((*launcher)->Signal(SIGKILL).ok());
  auto result = (*launcher)->Wait(absl::Now() + kStopBound);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->signalled);
  ExpectJobGone(**launcher, *pids, kStopBound);
}

TEST_F(LaunchExitTest, ProgramThatCannotStartFailsTheLaunch) {
  const std::string missing = scratch_dir() + "/no-such-program";
  auto launcher = StartJob(kNodes, kChips, {missing});
  ASSERT_TRUE(launcher.ok()) << launcher.status();
  auto result = (*launcher)->Wait(absl::Now() + kStartDeadline);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_NE(result->exit_code, 0);
  EXPECT_NE(result->err.find(missing), std::string::npos) << result->err;
  ExpectJobGone(**launcher, {});
}

}  // namespace
}  // namespace ultracc
