// `ultracc status` (tools/status/, the daemon's JobStatus RPC): against a running job in which one
// rank sleeps before its second all-reduce, it finds the job through the launcher's job record,
// shows every rank's latest collective and names the sleeping rank as behind; without a job it
// says so. The record is gone once the job ends.
#include <signal.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/launch_fixture.h"

namespace ultracc {
namespace {

using ::testing::HasSubstr;
using ::ultracc::testing::LaunchFixture;
using ::ultracc::testing::Subprocess;
using ::ultracc::testing::SubprocessOptions;
using ::ultracc::testing::SubprocessResult;

constexpr absl::Duration kDeadline = absl::Seconds(30);

class StatusTest : public LaunchFixture {
 protected:
  // Runs `ultracc status` with the job records of this test's scratch folder.
  SubprocessResult RunStatus() {
    SubprocessOptions options;
    options.argv = {ULTRACC_LAUNCHER, "status"};
    options.env["XDG_RUNTIME_DIR"] = scratch_dir();
    options.unset_env = {"ULTRACC_JOB_TOKEN"};
    auto status = Subprocess::Start(options);
    EXPECT_TRUE(status.ok()) << status.status();
    if (!status.ok()) return {};
    auto result = (*status)->Wait(absl::Now() + kDeadline);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : SubprocessResult{};
  }
};

TEST_F(StatusTest, NamesTheRankThatIsBehind) {
  auto launcher = StartJob(2, 2,
                           {ULTRACC_FAULT_RANK, "--ops", "3", "--pid-dir", scratch_dir(),
                            "--sleep-rank", "2", "--sleep-ms", "60000", "--sleep-before-op", "2"},
                           {"--grace", "0.5"}, {{"XDG_RUNTIME_DIR", scratch_dir()}});
  ASSERT_TRUE(launcher.ok()) << launcher.status();
  auto pids = AwaitPidFiles(4, absl::Now() + kDeadline);
  ASSERT_TRUE(pids.ok()) << pids.status() << (*launcher)->Stderr();
  ASSERT_TRUE(
      (*launcher)->AwaitStdout("[2] fault_rank: rank 2: op 1 done", absl::Now() + kDeadline))
      << (*launcher)->Stdout() << (*launcher)->Stderr();
  const std::string behind = absl::StrCat("behind: rank 2 (node 1, pid ", pids->at(2).pid,
                                          ") has not called op #2, which ranks 0, 1, 3 wait in");
  // The others call op #2 moments after op 1: ask until all three did.
  SubprocessResult status;
  for (absl::Time give_up = absl::Now() + absl::Seconds(10); absl::Now() < give_up;) {
    status = RunStatus();
    if (status.out.find(behind) != std::string::npos) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr(behind)) << status.out << status.err;
  EXPECT_THAT(status.out, HasSubstr("job "));
  EXPECT_THAT(status.out, HasSubstr("op #2 AllReduce(count=1024,float,sum)"));
  EXPECT_THAT(status.out, HasSubstr("op #1 AllReduce(count=1024,float,sum)"));

  ASSERT_TRUE((*launcher)->Signal(SIGTERM).ok());
  auto result = (*launcher)->Wait(absl::Now() + kDeadline);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 128 + SIGTERM) << result->err;
  ExpectJobGone(**launcher, *pids, absl::Seconds(5));
  std::error_code ignored;
  EXPECT_TRUE(std::filesystem::is_empty(scratch_dir() + "/ultracc", ignored))
      << "the launcher left its job record";
}

TEST_F(StatusTest, SaysSoWithoutARunningJob) {
  SubprocessResult status = RunStatus();
  EXPECT_EQ(status.exit_code, 1);
  EXPECT_THAT(status.err, HasSubstr("no running job"));
}

}  // namespace
}  // namespace ultracc
