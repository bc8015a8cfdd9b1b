// LaunchFixture: a GoogleTest fixture for tests that run jobs through the `ultracc launch` binary.
//
// Each test gets a scratch directory (ranks write pid files there) and a job token of its own. The
// launcher takes its token from ULTRACC_JOB_TOKEN and hands it to every daemon and rank, so the
// token marks the job's processes in /proc: ExpectJobGone finds anything the job left running
// without relying on the launcher's own bookkeeping.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/testing/job_footprint.h"
#include "tests/testing/subprocess.h"

namespace ultracc::testing {

// What a rank_probe rank wrote to its pid file.
struct RankProcess {
  pid_t pid = -1;
  pid_t parent = -1;  // its node daemon
};

class LaunchFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts `ultracc launch --nodes N --chips-per-node C FLAGS -- COMMAND`; `env` adds to (or
  // replaces) the launcher's environment, whose ULTRACC_* settings reach every rank and daemon.
  absl::StatusOr<std::unique_ptr<Subprocess>> StartJob(
      int nodes, int chips_per_node, const std::vector<std::string>& command,
      const std::vector<std::string>& flags = {},
      const std::map<std::string, std::string>& env = {});

  // Waits until `count` ranks wrote their pid files; returns them by rank.
  absl::StatusOr<std::map<int, RankProcess>> AwaitPidFiles(int count, absl::Time deadline);

  // Expects that, within `within`, no process, socket or shared-memory name of the job started
  // by `launcher` remains; `ranks` are pids the ranks reported (checked, with their daemons).
  void ExpectJobGone(const Subprocess& launcher, const std::map<int, RankProcess>& ranks,
                     absl::Duration within = absl::Seconds(2));

  // The footprint ExpectJobGone checks, for asserting that it sees a running job.
  JobFootprint Footprint(const Subprocess& launcher, const std::map<int, RankProcess>& ranks) const;

  const std::string& scratch_dir() const { return scratch_dir_; }
  const std::string& token() const { return token_; }

 private:
  std::string scratch_dir_;
  std::string token_;
  std::set<std::string> shm_before_;
};

// Lines of `text` that start with "[rank] ", by rank, with the prefix removed; lines without a
// rank prefix go under -1.
std::map<int, std::vector<std::string>> LinesByRank(const std::string& text);

}  // namespace ultracc::testing
