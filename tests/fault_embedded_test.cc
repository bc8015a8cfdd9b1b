// Faults in embedded mode (runtime/client/embedded_comm.h, runtime/engine/): separately started
// fault_rank processes, as mpirun would start them. A rank stopped with SIGSTOP makes the others
// fail with ultraccTimeout naming it (not the neighbour they happened to wait on); ranks that
// disagree on a count or an op all fail with a message naming both calls, and the next all-reduce
// still works.
#include <stdlib.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/subprocess.h"

namespace ultracc {
namespace {

using ::testing::HasSubstr;
using ::ultracc::testing::Subprocess;
using ::ultracc::testing::SubprocessOptions;

constexpr int kRanks = 3;
constexpr absl::Duration kDeadline = absl::Seconds(30);

class FaultEmbeddedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TMPDIR");
    std::string pattern =
        absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/ultracc-fault-test-XXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << "mkdtemp " << pattern;
    dir_ = pattern;
  }
  void TearDown() override {
    ranks_.clear();  // kills what still runs
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Starts kRanks fault_rank processes over TCP with `args`, every wait bounded by `timeout_ms`.
  void StartRanks(const std::vector<std::string>& args, int timeout_ms) {
    for (int r = 0; r < kRanks; ++r) {
      SubprocessOptions options;
      options.argv = {ULTRACC_FAULT_RANK, "--embedded",    "--id-file", dir_ + "/unique-id",
                      "--rank",           absl::StrCat(r), "--nranks",  absl::StrCat(kRanks),
                      "--timeout-ms",     "20000"};
      options.argv.insert(options.argv.end(), args.begin(), args.end());
      options.unset_env = {"ULTRACC_DAEMON_SOCKET", "ULTRACC_RANK",      "ULTRACC_WORLD_SIZE",
                           "ULTRACC_LOCAL_RANK",    "ULTRACC_JOB_TOKEN", "ULTRACC_JOB_ID"};
      options.env["ULTRACC_TIMEOUT_MS"] = absl::StrCat(timeout_ms);
      options.env["ULTRACC_BOOTSTRAP_HOST"] = "127.0.0.1";
      options.env["ULTRACC_TRANSPORT"] = "tcp";
      auto process = Subprocess::Start(options);
      ASSERT_TRUE(process.ok()) << process.status();
      ranks_.push_back(*std::move(process));
    }
  }

  std::string dir_;
  std::vector<std::unique_ptr<Subprocess>> ranks_;
};

// The stopped rank is in the middle of the ring: its neighbours wait on it, rank 0 waits on rank
// 2. Both survivors must name rank 1, within the timeout plus the report window.
TEST_F(FaultEmbeddedTest, StoppedRankTimesOutNamingIt) {
  StartRanks({"--ops", "0"}, 1500);
  for (int r = 0; r < kRanks; ++r) {
    ASSERT_TRUE(
        ranks_[r]->AwaitStdout(absl::StrCat("rank ", r, ": op 3 done"), absl::Now() + kDeadline))
        << ranks_[r]->Stdout() << ranks_[r]->Stderr();
  }
  ASSERT_TRUE(ranks_[1]->Signal(SIGSTOP).ok());
  const absl::Time stopped = absl::Now();
  for (int r : {0, 2}) {
    SCOPED_TRACE(absl::StrCat("rank ", r));
    auto result = ranks_[r]->Wait(stopped + kDeadline);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_LT(absl::Now() - stopped, absl::Seconds(8));
    EXPECT_EQ(result->exit_code, 1) << result->out << result->err;
    EXPECT_THAT(result->out, HasSubstr("failed: operation timed out (8)"));
    EXPECT_THAT(result->out, HasSubstr("not heard from: rank 1 ("));
    EXPECT_THAT(result->out, HasSubstr(absl::StrCat("timed out as well: rank ", 2 - r)));
  }
  ASSERT_TRUE(ranks_[1]->Signal(SIGKILL).ok());
  ranks_[1]->Wait(absl::Now() + absl::Seconds(10)).IgnoreError();
}

class FaultMismatchTest : public FaultEmbeddedTest,
                          public ::testing::WithParamInterface<std::string> {};

// Rank 2 passes count 2048 (or op max) where ranks 0 and 1 pass 1024 (sum).
TEST_P(FaultMismatchTest, EveryRankNamesBothCallsAndGoesOn) {
  const std::string field = GetParam();
  StartRanks({"--ops", "2", "--mismatch", field}, 20000);
  const std::string odd_call =
      field == "count" ? "AllReduce(count=2048,float,sum)" : "AllReduce(count=1024,float,max)";
  const std::string message =
      absl::StrCat("rank 2 called ", odd_call,
                   " as op #1 while rank 0 called AllReduce(count=1024,float,sum) (the ", field,
                   " differs; 1 of 3 ranks differs from rank 0)");
  for (int r = 0; r < kRanks; ++r) {
    SCOPED_TRACE(absl::StrCat("rank ", r));
    auto result = ranks_[r]->Wait(absl::Now() + kDeadline);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->exit_code, 0) << result->out << result->err;
    EXPECT_THAT(result->out,
                HasSubstr(absl::StrCat("rank ", r, ": mismatch: invalid usage (5): ", message)));
    EXPECT_THAT(result->out, HasSubstr(absl::StrCat("rank ", r, ": op 2 done")));
  }
}

INSTANTIATE_TEST_SUITE_P(Fields, FaultMismatchTest, ::testing::Values("count", "op"));

}  // namespace
}  // namespace ultracc
