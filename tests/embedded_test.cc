// Embedded mode (runtime/client/embedded_comm.h) across real processes: the test starts N
// allreduce_check processes itself, as mpirun or torchrun would, passing the unique id through a
// file; each runs the engine in-process and gets the exact sums for counts 1 to 2^24 (three
// processes over the default links) or to 2^22 + 1 (the other sizes and links).
#include <stdlib.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/testing/subprocess.h"

namespace ultracc {
namespace {

using ::ultracc::testing::Subprocess;
using ::ultracc::testing::SubprocessOptions;

constexpr absl::Duration kDeadline = absl::Seconds(90);
// The default sweep without its largest count, 2^24, which takes most of its time: 2^22 + 1 is
// still a message of many slices, past the receive window.
constexpr char kShortSweepCounts[] = "1,3,7,1000,65537,1048577,4194305";

class EmbeddedTest : public ::testing::Test {
 protected:
  // Starts rank `r` of `nranks` of allreduce_check with `args` and `env` added.
  std::unique_ptr<Subprocess> StartRank(int r, int nranks, const std::vector<std::string>& args,
                                        const std::map<std::string, std::string>& env = {}) {
    SubprocessOptions options;
    options.argv = {ULTRACC_ALLREDUCE_CHECK, "--embedded", "--id-file", dir_ + "/unique-id"};
    options.argv.insert(options.argv.end(),
                        {"--rank", absl::StrCat(r), "--nranks", absl::StrCat(nranks)});
    options.argv.insert(options.argv.end(), args.begin(), args.end());
    // Embedded mode is chosen by the absence of a daemon, even inside a launched job.
    options.unset_env = {"ULTRACC_DAEMON_SOCKET", "ULTRACC_RANK",      "ULTRACC_WORLD_SIZE",
                         "ULTRACC_LOCAL_RANK",    "ULTRACC_JOB_TOKEN", "ULTRACC_JOB_ID"};
    options.env["ULTRACC_TIMEOUT_MS"] = "60000";
    options.env["ULTRACC_BOOTSTRAP_HOST"] = "127.0.0.1";
    for (const auto& [name, value] : env) options.env[name] = value;
    auto process = Subprocess::Start(options);
    EXPECT_TRUE(process.ok()) << process.status();
    return process.ok() ? *std::move(process) : nullptr;
  }

  void SetUp() override {
    const char* tmp = getenv("TMPDIR");
    std::string pattern = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp",
                                       "/ultracc-embedded-test-XXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << "mkdtemp " << pattern;
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::string dir_;
};

class EmbeddedSizeTest : public EmbeddedTest, public ::testing::WithParamInterface<int> {};

TEST_P(EmbeddedSizeTest, ProcessesAllReduceExactly) {
  const int nranks = GetParam();
  std::vector<std::unique_ptr<Subprocess>> ranks;
  for (int r = 0; r < nranks; ++r) {
    ranks.push_back(StartRank(r, nranks,
                              nranks == 3
                                  ? std::vector<std::string>{}
                                  : std::vector<std::string>{"--counts", kShortSweepCounts}));
    ASSERT_NE(ranks.back(), nullptr);
  }
  const absl::Time deadline = absl::Now() + kDeadline;
  for (int r = 0; r < nranks; ++r) {
    SCOPED_TRACE(absl::StrCat("rank ", r, " of ", nranks));
    auto result = ranks[r]->Wait(deadline);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->exit_code, 0) << "stdout:\n" << result->out << "\nstderr:\n" << result->err;
    EXPECT_NE(result->out.find(
                  absl::StrCat("allreduce_check: rank ", r, " of ", nranks, ": OK (56 cases)")),
              std::string::npos)
        << result->out;
  }
}

// A process that leaves without finalizing fails its peers' collectives at once, naming it.
TEST_F(EmbeddedTest, LostProcessFailsThePeersPromptly) {
  std::vector<std::unique_ptr<Subprocess>> ranks;
  for (int r = 0; r < 3; ++r) {
    ranks.push_back(StartRank(r, 3, {"--quit-rank", "1", "--counts", "1000"}));
    ASSERT_NE(ranks.back(), nullptr);
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  for (int r = 0; r < 3; ++r) {
    SCOPED_TRACE(absl::StrCat("rank ", r));
    auto result = ranks[r]->Wait(deadline);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_LT(result->elapsed, absl::Seconds(10));
    if (r == 1) {
      EXPECT_EQ(result->exit_code, 0);
      continue;
    }
    EXPECT_EQ(result->exit_code, 1) << result->out << result->err;
    EXPECT_NE(result->out.find(absl::StrCat("FAIL rank ", r, ": count 1000")), std::string::npos)
        << result->out;
    EXPECT_NE(result->out.find("peer rank 1"), std::string::npos) << result->out;
  }
}

// The links between the processes: our TCP transport, and libfabric's tcp and shm providers with
// one and two rails.
struct Links {
  const char* name;
  std::map<std::string, std::string> env;
};

class EmbeddedLinksTest : public EmbeddedTest, public ::testing::WithParamInterface<Links> {};

TEST_P(EmbeddedLinksTest, ThreeProcessesAllReduceExactly) {
  std::vector<std::unique_ptr<Subprocess>> ranks;
  for (int r = 0; r < 3; ++r) {
    ranks.push_back(StartRank(r, 3, {"--counts", kShortSweepCounts}, GetParam().env));
    ASSERT_NE(ranks.back(), nullptr);
  }
  const absl::Time deadline = absl::Now() + kDeadline;
  for (int r = 0; r < 3; ++r) {
    SCOPED_TRACE(absl::StrCat("rank ", r));
    auto result = ranks[r]->Wait(deadline);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->exit_code, 0) << "stdout:\n" << result->out << "\nstderr:\n" << result->err;
    EXPECT_NE(result->out.find(absl::StrCat("allreduce_check: rank ", r, " of 3: OK (56 cases)")),
              std::string::npos)
        << result->out;
  }
}

// A process killed while 16 MiB all-reduces are in flight: the survivors' calls return
// ultraccRemoteError well within the timeout instead of hanging.
TEST_P(EmbeddedLinksTest, KilledPeerFailsTheSurvivorsWithRemoteError) {
  std::map<std::string, std::string> env = GetParam().env;
  env["ULTRACC_TIMEOUT_MS"] = "15000";
  std::vector<std::unique_ptr<Subprocess>> ranks;
  for (int r = 0; r < 3; ++r) {
    ranks.push_back(StartRank(r, 3,
                              {"--counts", "4194304", "--repeat", "100000", "--buffers", "malloc",
                               "--streams", "null", "--placement", "out"},
                              env));
    ASSERT_NE(ranks.back(), nullptr);
  }
  for (int r = 0; r < 3; ++r) {
    ASSERT_TRUE(ranks[r]->AwaitStdout(absl::StrCat("rank ", r, ": pass 1 done"),
                                      absl::Now() + kDeadline))
        << "rank " << r << " never finished a pass:\n"
        << ranks[r]->Stdout() << ranks[r]->Stderr();
  }
  const pid_t victim = ranks[1]->pid();
  ASSERT_TRUE(ranks[1]->Signal(SIGKILL).ok());
  const absl::Time killed = absl::Now();
  for (int r : {0, 2}) {
    SCOPED_TRACE(absl::StrCat("rank ", r));
    auto result = ranks[r]->Wait(killed + absl::Seconds(60));
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_LT(absl::Now() - killed, absl::Seconds(15));
    EXPECT_EQ(result->exit_code, 1) << result->out << result->err;
    EXPECT_NE(result->out.find("remote process exited or there was a network error (6)"),
              std::string::npos)
        << result->out << result->err;
  }
  ranks[1]->Wait(absl::Now() + absl::Seconds(10)).IgnoreError();
  // libfabric's shm provider names its region after the process ("<pid>:..."); a killed process
  // cannot remove its own, so the test does.
  std::error_code ignored;
  for (const auto& entry : std::filesystem::directory_iterator("/dev/shm", ignored)) {
    if (absl::StartsWith(entry.path().filename().string(), absl::StrCat(victim, ":"))) {
      std::filesystem::remove(entry.path(), ignored);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Links, EmbeddedLinksTest,
    ::testing::Values(Links{"Tcp", {{"ULTRACC_TRANSPORT", "tcp"}}},
                      Links{"OfiTcp", {{"ULTRACC_TRANSPORT", "ofi"}, {"ULTRACC_OFI_PROVIDER", "tcp"}}},
                      Links{"OfiShm", {{"ULTRACC_TRANSPORT", "ofi"}, {"ULTRACC_OFI_PROVIDER", "shm"}}},
                      Links{"OfiTcpTwoRails",
                            {{"ULTRACC_TRANSPORT", "ofi"},
                             {"ULTRACC_OFI_PROVIDER", "tcp"},
                             {"ULTRACC_OFI_RAILS", "2"}}}),
    [](const ::testing::TestParamInfo<Links>& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(Ranks, EmbeddedSizeTest, ::testing::Values(1, 3, 4),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return absl::StrCat(info.param, "Processes");
                         });

}  // namespace
}  // namespace ultracc
