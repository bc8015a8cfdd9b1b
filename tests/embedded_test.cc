// Embedded mode (runtime/client/embedded_comm.h) across real processes: the test starts N
// allreduce_check processes itself, as mpirun or torchrun would, passing the unique id through a
// file; each runs the engine in-process and gets the exact sums for counts 1 to 2^24.
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/testing/subprocess.h"

namespace ultracc {
namespace {

using ::ultracc::testing::Subprocess;
using ::ultracc::testing::SubprocessOptions;

constexpr absl::Duration kDeadline = absl::Seconds(90);

class EmbeddedTest : public ::testing::TestWithParam<int> {
 protected:
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

TEST_P(EmbeddedTest, ProcessesAllReduceExactly) {
  const int nranks = GetParam();
  const std::string id_file = dir_ + "/unique-id";
  std::vector<std::unique_ptr<Subprocess>> ranks;
  for (int r = 0; r < nranks; ++r) {
    SubprocessOptions options;
    options.argv = {ULTRACC_ALLREDUCE_CHECK, "--embedded", "--id-file", id_file};
    options.argv.insert(options.argv.end(),
                        {"--rank", absl::StrCat(r), "--nranks", absl::StrCat(nranks)});
    // Embedded mode is chosen by the absence of a daemon, even inside a launched job.
    options.unset_env = {"ULTRACC_DAEMON_SOCKET", "ULTRACC_RANK",      "ULTRACC_WORLD_SIZE",
                         "ULTRACC_LOCAL_RANK",    "ULTRACC_JOB_TOKEN", "ULTRACC_JOB_ID"};
    options.env["ULTRACC_TIMEOUT_MS"] = "60000";
    options.env["ULTRACC_BOOTSTRAP_HOST"] = "127.0.0.1";
    auto process = Subprocess::Start(options);
    ASSERT_TRUE(process.ok()) << process.status();
    ranks.push_back(*std::move(process));
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

INSTANTIATE_TEST_SUITE_P(Ranks, EmbeddedTest, ::testing::Values(1, 3, 4),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return absl::StrCat(info.param, "Processes");
                         });

}  // namespace
}  // namespace ultracc
