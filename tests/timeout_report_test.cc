// Timeout reports (runtime/engine/timeout_report.h) over the in-process fabric: members that timed
// out name the one that stayed silent and each other; a member that knows its stalled rank names
// it to the others; a lone member returns the timeout as it was.
#include "runtime/engine/timeout_report.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "transport/inproc/inproc_fabric.h"

namespace ultracc::engine {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Members in `reporting` report a timeout of op #9 at once (with `stalled[m]`); the others stay
// silent. Returns each reporting member's status.
std::vector<absl::Status> Report(int size, const std::vector<int>& reporting,
                                 const std::vector<int>& stalled, int chips_per_node = 1) {
  transport::inproc::InProcFabric fabric(size);
  std::vector<absl::Status> statuses(size);
  std::vector<std::thread> threads;
  for (int m : reporting) {
    threads.emplace_back([&, m] {
      TimeoutReport report;
      report.links = fabric.member(m);
      report.chips_per_node = chips_per_node;
      report.sequence = 9;
      report.window = absl::Milliseconds(300);
      report.stalled_rank = stalled[m];
      statuses[m] = ReportTimeout(absl::DeadlineExceededError("waited for peer"), report);
    });
  }
  for (auto& t : threads) t.join();
  return statuses;
}

TEST(TimeoutReportTest, NamesTheSilentMemberAndThoseThatTimedOutToo) {
  auto statuses = Report(3, {0, 2}, {-1, -1, -1});
  for (int m : {0, 2}) {
    EXPECT_TRUE(absl::IsDeadlineExceeded(statuses[m])) << statuses[m];
    EXPECT_THAT(std::string(statuses[m].message()),
                StartsWith("op #9 timed out; not heard from: rank 1 ("));
    EXPECT_THAT(statuses[m].message(), HasSubstr(absl::StrCat("timed out as well: rank ", 2 - m)));
    EXPECT_THAT(statuses[m].message(), HasSubstr(": waited for peer"));
  }
}

TEST(TimeoutReportTest, NamesTheStalledRankAMemberReports) {
  // Node 1 of 2 chips per node knows its rank 3 never called op #9.
  auto statuses = Report(2, {0, 1}, {-1, 3}, 2);
  EXPECT_THAT(statuses[0].message(), HasSubstr("rank 3 (node 1) did not call it"));
  EXPECT_THAT(statuses[1].message(), HasSubstr("timed out as well: node 0 (ranks 0-1)"));
}

TEST(TimeoutReportTest, ALoneMemberKeepsTheTimeout) {
  TimeoutReport report;
  const absl::Status timeout = absl::DeadlineExceededError("alone");
  EXPECT_EQ(ReportTimeout(timeout, report), timeout);
}

}  // namespace
}  // namespace ultracc::engine
