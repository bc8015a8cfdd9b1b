// `ultracc info`: reports libfabric and its providers, the provider a job would use and what a
// launch would pick; an unusable provider exits 1 listing the ones there are. And `ultracc launch
// --transport ofi` with a missing provider fails before starting anything.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/testing/subprocess.h"

namespace ultracc {
namespace {

using ::ultracc::testing::Subprocess;
using ::ultracc::testing::SubprocessOptions;
using ::ultracc::testing::SubprocessResult;

SubprocessResult RunCli(std::vector<std::string> argv) {
  SubprocessOptions options;
  options.argv = std::move(argv);
  options.unset_env = {"ULTRACC_OFI_PROVIDER", "ULTRACC_OFI_RAILS", "ULTRACC_TRANSPORT"};
  auto process = Subprocess::Start(options);
  EXPECT_TRUE(process.ok()) << process.status();
  if (!process.ok()) return {};
  auto result = (*process)->Wait(absl::Now() + absl::Seconds(60));
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : SubprocessResult{};
}

TEST(InfoTest, ReportsLibfabricProvidersAndTheLaunchPlan) {
  SubprocessResult r = RunCli({ULTRACC_LAUNCHER, "info", "--nodes", "3", "--chips-per-node", "2",
                            "--transport", "ofi", "--ofi-provider", "shm", "--rails", "2"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* line :
       {"library version      1.", "usable by ofi        ", "tcp;ofi_rxm", "shm",
        "a job would use      shm (asked for 'shm')", "launch --nodes 3 --chips-per-node 2",
        "ranks                6, node-major", "between nodes        ofi over shm, 2 rails",
        "all-reduce         rhd / ring"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << "missing '" << line << "' in:\n" << r.out;
  }
  SubprocessResult d = RunCli({ULTRACC_LAUNCHER, "doctor"});
  EXPECT_EQ(d.exit_code, 0) << d.out << d.err;
  EXPECT_NE(d.out.find("a job would use      tcp;ofi_rxm (default order"), std::string::npos)
      << d.out;
}

TEST(InfoTest, MissingProviderExitsOneListingTheOthers) {
  SubprocessResult r =
      RunCli({ULTRACC_LAUNCHER, "info", "--transport", "ofi", "--ofi-provider", "no-such-nic"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("no libfabric provider fits 'no-such-nic'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tcp;ofi_rxm"), std::string::npos) << r.out;
}

TEST(InfoTest, LaunchWithAMissingProviderFailsAtOnce) {
  const absl::Time start = absl::Now();
  SubprocessResult r = RunCli({ULTRACC_LAUNCHER, "launch", "--nodes", "2", "--transport", "ofi",
                            "--ofi-provider", "no-such-nic", "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_NE((r.out + r.err).find("--transport ofi: ofi: no libfabric provider fits 'no-such-nic'"),
            std::string::npos)
      << r.out << r.err;
}

}  // namespace
}  // namespace ultracc
