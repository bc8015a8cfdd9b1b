// The exit paths of a job run by `ultracc launch` (tools/launch/, runtime/daemon/): a rank that
// fails stops the job with its exit code, SIGINT and SIGTERM to the launcher stop everything, a
// launcher killed outright takes its daemons and ranks with it, a program that cannot start fails
// the launch; and after each, no daemon, rank, socket or shared-memory name of the job remains.
#include <signal.h>

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
class LaunchLostRankTest : public LaunchExitTest, public ::testing::WithParamInterface<bool> {};

// A rank of node 0 leaves without finalizing: the ranks of both nodes fail promptly naming it,
// whether the nodes' ranks share memory (the daemon posts the cause on the shared call board) or
// meet in the daemons (the engines' links carry it).
TEST_P(LaunchLostRankTest, LostRankFailsThePeersPromptly) {
  auto launcher =
      StartJob(kNodes, kChips, {ULTRACC_ALLREDUCE_CHECK, "--quit-rank", "1", "--counts", "1000"},
               {}, {{"ULTRACC_SHARE_HOST", GetParam() ? "1" : "0"}});
  ASSERT_TRUE(launcher.ok()) << launcher.status();
  auto result = (*launcher)->Wait(absl::Now() + kStartDeadline);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 1) << result->out << result->err;
  EXPECT_LT(result->elapsed, kStopBound);
  EXPECT_NE(result->out.find("[1] allreduce_check: rank 1 leaves without finalizing"),
            std::string::npos)
      << result->out;
  EXPECT_NE(result->out.find("[0] FAIL rank 0: count 1000"), std::string::npos) << result->out;
  EXPECT_NE(result->out.find("rank 1 (pid"), std::string::npos) << result->out;
  EXPECT_NE(result->out.find("disconnected before finalizing"), std::string::npos) << result->out;
  ExpectJobGone(**launcher, {});
}

INSTANTIATE_TEST_SUITE_P(Sharing, LaunchLostRankTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "shared_memory" : "through_daemons";
                         });

// The same in a one-node job, whose ranks meet on the daemon's call board: the daemon posts the
// cause there.
TEST_F(LaunchExitTest, LostRankFailsTheRanksOfItsOneNodeJobPromptly) {
  auto launcher = StartJob(1, 3, {ULTRACC_ALLREDUCE_CHECK, "--quit-rank", "1", "--counts", "1000"});
  ASSERT_TRUE(launcher.ok()) << launcher.status();
  auto result = (*launcher)->Wait(absl::Now() + kStartDeadline);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 1) << result->out << result->err;
  EXPECT_LT(result->elapsed, kStopBound);
  EXPECT_NE(result->out.find("[1] allreduce_check: rank 1 leaves without finalizing"),
            std::string::npos)
      << result->out;
  EXPECT_NE(result->out.find("waited for the other ranks: rank 1 (pid"), std::string::npos)
      << result->out;
  EXPECT_NE(result->out.find("disconnected before finalizing"), std::string::npos) << result->out;
  ExpectJobGone(**launcher, {});
}

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
