// Launch test fixture; see launch_fixture.h.
#include "tests/testing/launch_fixture.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace ultracc::testing {

void LaunchFixture::SetUp() {
  const char* tmp = getenv("TMPDIR");
  std::string pattern =
      absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/ultracc-launch-test-XXXXXX");
  ASSERT_NE(mkdtemp(pattern.data()), nullptr) << "mkdtemp " << pattern;
  scratch_dir_ = pattern;
  // Unique per test and process; the launcher refuses nothing about its form.
  token_ = absl::StrCat("test-", getpid(), "-", absl::ToUnixNanos(absl::Now()));
  shm_before_ = ShmEntries("ultracc");
}

void LaunchFixture::TearDown() {
  std::error_code ignored;
  std::filesystem::remove_all(scratch_dir_, ignored);
}

absl::StatusOr<std::unique_ptr<Subprocess>> LaunchFixture::StartJob(
    int nodes, int chips_per_node, const std::vector<std::string>& command,
    const std::vector<std::string>& flags, const std::map<std::string, std::string>& env) {
  SubprocessOptions options;
  options.argv = {ULTRACC_LAUNCHER,    "launch",           "--nodes",
                  absl::StrCat(nodes), "--chips-per-node", absl::StrCat(chips_per_node)};
  options.argv.insert(options.argv.end(), flags.begin(), flags.end());
  options.argv.push_back("--");
  options.argv.insert(options.argv.end(), command.begin(), command.end());
  options.env["ULTRACC_JOB_TOKEN"] = token_;
  // Bounds every wait inside the runtime well below the tests' own deadlines.
  options.env["ULTRACC_TIMEOUT_MS"] = "60000";
  for (const auto& [name, value] : env) options.env[name] = value;
  options.working_directory = scratch_dir_;
  return Subprocess::Start(options);
}

absl::StatusOr<std::map<int, RankProcess>> LaunchFixture::AwaitPidFiles(int count,
                                                                        absl::Time deadline) {
  while (true) {
    std::map<int, RankProcess> ranks;
    for (const auto& entry : std::filesystem::directory_iterator(scratch_dir_)) {
      std::string name = entry.path().filename().string();
      int rank = 0;
      if (name.rfind("rank-", 0) != 0 || name.size() < 10 ||
          name.substr(name.size() - 4) != ".pid" ||
          !absl::SimpleAtoi(name.substr(5, name.size() - 9), &rank)) {
        continue;
      }
      std::ifstream in(entry.path());
      RankProcess p;
      if (in >> p.pid >> p.parent) ranks[rank] = p;
    }
    if (static_cast<int>(ranks.size()) >= count) return ranks;
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("only ", ranks.size(), " of ", count, " ranks wrote their pid files"));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

JobFootprint LaunchFixture::Footprint(const Subprocess& launcher,
                                      const std::map<int, RankProcess>& ranks) const {
  JobFootprint footprint;
  footprint.token = token_;
  for (const auto& [rank, p] : ranks) {
    footprint.pids.push_back(p.pid);
    footprint.pids.push_back(p.parent);
  }
  // Job ids start with the launcher's pid (tools/launch/launcher.cc).
  footprint.socket_prefix = absl::StrCat("ultraccd.", launcher.pid(), "-");
  footprint.shm_before = shm_before_;
  return footprint;
}

void LaunchFixture::ExpectJobGone(const Subprocess& launcher,
                                  const std::map<int, RankProcess>& ranks, absl::Duration within) {
  absl::Status gone = AwaitJobGone(Footprint(launcher, ranks), absl::Now() + within);
  EXPECT_TRUE(gone.ok()) << gone.message();
}

std::map<int, std::vector<std::string>> LinesByRank(const std::string& text) {
  std::map<int, std::vector<std::string>> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    int rank = -1;
    size_t close = line.find("] ");
    if (!line.empty() && line[0] == '[' && close != absl::string_view::npos &&
        absl::SimpleAtoi(line.substr(1, close - 1), &rank)) {
      lines[rank].emplace_back(line.substr(close + 2));
    } else {
      lines[-1].emplace_back(line);
    }
  }
  return lines;
}

}  // namespace ultracc::testing
