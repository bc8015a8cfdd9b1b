// Running `ultracc bench` in tests and reading its table; see bench_output.h.
#include "tests/testing/bench_output.h"

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace ultracc::testing {

SubprocessResult RunCli(std::vector<std::string> argv, absl::Duration timeout) {
  SubprocessOptions options;
  options.argv = std::move(argv);
  options.unset_env = {"ULTRACC_ALGO", "ULTRACC_TRANSPORT", "ULTRACC_OFI_PROVIDER",
                       "ULTRACC_OFI_RAILS", "ULTRACC_JOB_TOKEN"};
  auto process = Subprocess::Start(options);
  EXPECT_TRUE(process.ok()) << process.status();
  if (!process.ok()) return {};
  auto result = (*process)->Wait(absl::Now() + timeout);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : SubprocessResult{};
}

double BusFactor(const std::string& collective, int n) {
  if (collective == "all_reduce") return 2.0 * (n - 1) / n;
  if (collective == "reduce_scatter" || collective == "all_gather" || collective == "all_to_all" ||
      collective == "all_to_allv") {
    return static_cast<double>(n - 1) / n;
  }
  return 1.0;
}

bool Reduces(const std::string& collective) {
  return collective == "all_reduce" || collective == "reduce_scatter" || collective == "reduce";
}

bool Rooted(const std::string& collective) {
  return collective == "broadcast" || collective == "reduce";
}

bool HasInPlace(const std::string& collective) {
  return Reduces(collective) || collective == "all_gather" || collective == "broadcast";
}

Table ParseTable(const std::string& out) {
  Table table;
  std::string collective;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::ConsumePrefix(&line, "# Collective test starting: ")) {
      collective = std::string(line);
    } else if (absl::StartsWith(line, "# Out of bounds values") ||
               absl::StartsWith(line, "# Avg bus bandwidth")) {
      table.footers.emplace_back(line);
    } else if (!line.empty() && line[0] != '#') {
      table.rows.push_back({collective, absl::StrSplit(line, ' ', absl::SkipWhitespace())});
    }
  }
  return table;
}

}  // namespace ultracc::testing
