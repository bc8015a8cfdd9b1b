// Faults of jobs under `ultracc launch` (daemon mode: tools/launch/, runtime/daemon/,
// runtime/engine/): a rank stopped with SIGSTOP makes every other rank fail with ultraccTimeout
// naming it; ranks that disagree on a count or an op all fail naming both calls and go on; a
// daemon killed outright stops the job with the lost node as the launcher's last line; garbage and
// truncated frames at the daemons' control and data listeners leave the running job unharmed.
// Every job leaves no process, socket or shared memory behind.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/launch_fixture.h"
#include "tests/testing/listening_ports.h"

namespace ultracc {
namespace {

using ::testing::HasSubstr;
using ::ultracc::testing::LaunchFixture;
using ::ultracc::testing::ListeningTcpPorts;
using ::ultracc::testing::Subprocess;

constexpr int kNodes = 2;
constexpr int kChips = 2;
constexpr int kWorld = kNodes * kChips;
constexpr absl::Duration kDeadline = absl::Seconds(30);

class FaultLaunchTest : public LaunchFixture {
 protected:
  // A job of fault_rank ranks looping over all-reduces, each wait bounded by `timeout_ms`. A rank
  // that fails lingers a moment, so that every survivor reports before the launcher stops them.
  // `share_host`: whether the nodes' ranks share memory and meet on one call board (the default)
  // or hand every collective to their daemons.
  std::unique_ptr<Subprocess> StartLoopingJob(int timeout_ms, bool share_host = true) {
    auto launcher = StartJob(
        kNodes, kChips,
        {ULTRACC_FAULT_RANK, "--ops", "0", "--pid-dir", scratch_dir(), "--linger-ms", "2000"},
        {"--grace", "0.5"},
        {{"ULTRACC_TIMEOUT_MS", absl::StrCat(timeout_ms)},
         {"ULTRACC_SHARE_HOST", share_host ? "1" : "0"}});
    EXPECT_TRUE(launcher.ok()) << launcher.status();
    return launcher.ok() ? *std::move(launcher) : nullptr;
  }

  // Waits until every rank printed `ops` more "op K done" lines after `offset` of the launcher's
  // stdout.
  static bool AwaitOps(Subprocess& launcher, size_t offset, int ops) {
    const absl::Time deadline = absl::Now() + kDeadline;
    while (absl::Now() < deadline) {
      const std::string out = launcher.Stdout();
      bool all = out.size() >= offset;
      for (int r = 0; all && r < kWorld; ++r) {
        const std::string line = absl::StrCat("[", r, "] fault_rank: rank ", r, ": op ");
        int seen = 0;
        for (size_t at = out.find(line, offset); at != std::string::npos;
             at = out.find(line, at + 1)) {
          ++seen;
        }
        all = seen >= ops;
      }
      if (all) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }
};

class FaultLaunchStopTest : public FaultLaunchTest, public ::testing::WithParamInterface<bool> {};

// Rank 3 stops between all-reduces and every other rank times out naming it. With shared memory
// the others meet it on the call board, which names its node. Through the daemons, rank 2 (on the
// stopped rank's node) has already called the next all-reduce, so its daemon names rank 3 to its
// own ranks and, in its timeout report, to the other node.
TEST_P(FaultLaunchStopTest, StoppedRankTimesOutNamingIt) {
  const bool shared = GetParam();
  auto launcher = StartLoopingJob(1500, shared);
  ASSERT_NE(launcher, nullptr);
  auto pids = AwaitPidFiles(kWorld, absl::Now() + kDeadline);
  ASSERT_TRUE(pids.ok()) << pids.status() << launcher->Stderr();
  ASSERT_TRUE(AwaitOps(*launcher, 0, 3)) << launcher->Stdout() << launcher->Stderr();
  ASSERT_EQ(kill(pids->at(3).pid, SIGSTOP), 0);
  const absl::Time stopped = absl::Now();
  auto result = launcher->Wait(stopped + kDeadline);
  ASSERT_TRUE(result.ok()) << result.status();
  // The timeout (1.5 s), the report window and the survivors' linger (2 s).
  EXPECT_LT(absl::Now() - stopped, absl::Seconds(15));
  EXPECT_EQ(result->exit_code, 1) << result->out << result->err;
  auto lines = ::ultracc::testing::LinesByRank(result->out);
  for (int r = 0; r < 3; ++r) {
    SCOPED_TRACE(absl::StrCat("rank ", r));
    const std::string all = absl::StrJoin(lines[r], "\n");
    EXPECT_THAT(all, HasSubstr("failed: operation timed out (8)"));
    if (shared) {
      EXPECT_THAT(all, HasSubstr("rank 3 (node 1) did not call it within 1500 ms"));
    } else {
      EXPECT_THAT(all,
                  HasSubstr(r == 2 ? absl::StrCat("rank 3 (pid ", pids->at(3).pid, ") on node 1")
                                   : std::string("rank 3 (node 1) did not call it")));
    }
  }
  ExpectJobGone(*launcher, *pids, absl::Seconds(5));
}

INSTANTIATE_TEST_SUITE_P(Sharing, FaultLaunchStopTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "shared_memory" : "through_daemons";
                         });

// Rank 3 (node 1) is late to create its communicator: the daemons, which answer the ranks of nodes
// that share memory once all have joined, fail the job at the timeout, and the ranks that joined
// are told which rank they waited for (those the launcher stops first may not get to say it).
TEST_F(FaultLaunchTest, RankThatNeverJoinsIsNamedToTheOthers) {
  auto launcher = StartJob(kNodes, kChips,
                           {ULTRACC_FAULT_RANK, "--ops", "1", "--sleep-rank", "3", "--sleep-ms",
                            "20000", "--sleep-before-op", "0"},
                           {"--grace", "0.5"}, {{"ULTRACC_TIMEOUT_MS", "1500"}});
  ASSERT_TRUE(launcher.ok()) << launcher.status();
  const absl::Time start = absl::Now();
  auto result = (*launcher)->Wait(start + kDeadline);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(15));
  EXPECT_EQ(result->exit_code, 1) << result->out << result->err;
  const std::string why = "node 1: rank 3 did not create its communicator within 1500 ms";
  EXPECT_THAT(result->out, HasSubstr(why)) << result->err;
  auto lines = ::ultracc::testing::LinesByRank(result->out);
  for (int r = 0; r < 3; ++r) {
    SCOPED_TRACE(absl::StrCat("rank ", r));
    for (const std::string& line : lines[r]) {
      if (line.find("failed") != std::string::npos) {
        EXPECT_THAT(line, HasSubstr(why));
      }
    }
  }
}

class FaultLaunchMismatchTest : public FaultLaunchTest,
                                public ::testing::WithParamInterface<std::string> {};

// A count mismatch inside node 1 (rank 3 against rank 2) and an op mismatch inside node 0 (rank 1
// against rank 0): every rank on both nodes gets the same message, and the next all-reduce works.
TEST_P(FaultLaunchMismatchTest, EveryRankNamesBothCallsAndGoesOn) {
  const std::string field = GetParam();
  const int odd = field == "count" ? 3 : 1;
  auto launcher = StartJob(
      kNodes, kChips,
      {ULTRACC_FAULT_RANK, "--ops", "2", "--mismatch", field, "--odd-rank", absl::StrCat(odd)}, {},
      {{"ULTRACC_TIMEOUT_MS", "20000"}});
  ASSERT_TRUE(launcher.ok()) << launcher.status();
  auto result = (*launcher)->Wait(absl::Now() + kDeadline);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0) << result->out << result->err;
  const std::string odd_call =
      field == "count" ? "AllReduce(count=2048,float,sum)" : "AllReduce(count=1024,float,max)";
  const std::string message =
      absl::StrCat("rank ", odd, " called ", odd_call,
                   " as op #1 while rank 0 called AllReduce(count=1024,float,sum) (the ", field,
                   " differs; 1 of 4 ranks differs from rank 0)");
  for (int r = 0; r < kWorld; ++r) {
    EXPECT_THAT(result->out, HasSubstr(absl::StrCat("[", r, "] fault_rank: rank ", r,
                                                    ": mismatch: invalid usage (5): ", message)));
    EXPECT_THAT(result->out, HasSubstr(absl::StrCat("[", r, "] fault_rank: rank ", r, ": OK")));
  }
  ExpectJobGone(**launcher, {});
}

INSTANTIATE_TEST_SUITE_P(Fields, FaultLaunchMismatchTest, ::testing::Values("count", "op"));

TEST_F(FaultLaunchTest, KilledDaemonStopsTheJobNamingTheNode) {
  auto launcher = StartLoopingJob(20000);
  ASSERT_NE(launcher, nullptr);
  auto pids = AwaitPidFiles(kWorld, absl::Now() + kDeadline);
  ASSERT_TRUE(pids.ok()) << pids.status() << launcher->Stderr();
  ASSERT_TRUE(AwaitOps(*launcher, 0, 3)) << launcher->Stdout() << launcher->Stderr();
  const pid_t daemon = pids->at(2).parent;
  ASSERT_EQ(kill(daemon, SIGKILL), 0);
  const absl::Time killed = absl::Now();
  auto result = launcher->Wait(killed + kDeadline);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_LT(absl::Now() - killed, absl::Seconds(10));
  EXPECT_EQ(result->exit_code, 1) << result->err;
  std::vector<std::string> lines = absl::StrSplit(result->err, '\n', absl::SkipEmpty());
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(lines.back(), HasSubstr("ultracc launch: job stopped: lost node 1 (ultraccd at "));
  EXPECT_THAT(lines.back(), HasSubstr("ranks 2-3"));
  ExpectJobGone(*launcher, *pids, absl::Seconds(5));
}

// Connects to 127.0.0.1:`port`, writes `bytes` (the daemon may hang up at any point) and closes.
void SendAndClose(int port, const std::string& bytes) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    for (size_t sent = 0; sent < bytes.size();) {
      ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
  }
  close(fd);
}

// What a stray or an attacker might send: random bytes, an HTTP/2 preface cut inside a frame that
// claims 16 MiB, a transport hello cut after its magic, and one whose key is cut short.
std::vector<std::string> GarbageMessages() {
  std::mt19937 random(7);
  std::string noise(64 * 1024, '\0');
  for (char& c : noise) c = static_cast<char>(random());
  const std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  const std::string magic("ulcctcp1", 8);
  std::string hello = magic + std::string("\x01\0\0\0\x01\0\0\0\x02\0\0\0\x00\x10\0\0", 16);
  return {noise,
          preface + std::string("\xff\xff\xff\x04\x00", 5),
          preface + noise.substr(0, 1000),
          magic + "\x01\x00",
          hello + "job-",
          hello};
}

TEST_F(FaultLaunchTest, GarbageAtTheDaemonsListenersLeavesTheJobRunning) {
  auto launcher = StartLoopingJob(20000);
  ASSERT_NE(launcher, nullptr);
  auto pids = AwaitPidFiles(kWorld, absl::Now() + kDeadline);
  ASSERT_TRUE(pids.ok()) << pids.status() << launcher->Stderr();
  ASSERT_TRUE(AwaitOps(*launcher, 0, 3)) << launcher->Stdout() << launcher->Stderr();
  int listeners = 0;
  for (pid_t daemon : {pids->at(0).parent, pids->at(2).parent}) {
    std::vector<int> ports = ListeningTcpPorts(daemon);
    // Its control port and its node transport's listener.
    EXPECT_GE(ports.size(), 2u) << "daemon " << daemon;
    for (int port : ports) {
      ++listeners;
      for (const std::string& garbage : GarbageMessages()) SendAndClose(port, garbage);
    }
  }
  EXPECT_GE(listeners, 4);
  const size_t after_garbage = launcher->Stdout().size();
  EXPECT_TRUE(AwaitOps(*launcher, after_garbage, 5)) << launcher->Stdout() << launcher->Stderr();
  ASSERT_TRUE(launcher->Signal(SIGTERM).ok());
  auto result = launcher->Wait(absl::Now() + kDeadline);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 128 + SIGTERM) << result->err;
  EXPECT_THAT(result->out, ::testing::Not(HasSubstr("failed")));
  ExpectJobGone(*launcher, *pids, absl::Seconds(5));
}

}  // namespace
}  // namespace ultracc
