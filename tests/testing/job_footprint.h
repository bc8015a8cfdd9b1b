// JobFootprint: what a job can leave behind on this host (processes, abstract Unix sockets,
// shared-memory names), and a deadline-bounded check that none of it remains.
//
// `ultracc launch` promises to clean up on every exit path; the multi-process tests prove it by
// looking at the host itself (/proc, /proc/net/unix, /dev/shm) rather than trusting the launcher.
#pragma once

#include <sys/types.h>

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ultracc::testing {

struct JobFootprint {
  // Processes whose environment holds "ULTRACC_JOB_TOKEN=<token>": the job's daemons and ranks.
  std::string token;
  // Processes known to belong to the job (e.g. pids the ranks reported).
  std::vector<pid_t> pids;
  // Abstract Unix socket names starting with this prefix ("@" not included).
  std::string socket_prefix;
  // /dev/shm entries named ultracc* that existed before the job started (not the job's).
  std::set<std::string> shm_before;
};

// True when `pid` no longer runs (no such process, or a zombie waiting to be reaped).
bool ProcessGone(pid_t pid);

// Pids of live processes whose environment contains the entry `name=value`.
std::vector<pid_t> ProcessesWithEnvironment(absl::string_view name, absl::string_view value);

// Abstract Unix socket names (without the leading "@") in /proc/net/unix starting with `prefix`.
std::vector<std::string> AbstractSockets(absl::string_view prefix);

// Names of /dev/shm entries starting with `prefix`.
std::set<std::string> ShmEntries(absl::string_view prefix);

// OK once nothing of the job remains; FailedPrecondition listing what is left at `deadline`.
absl::Status AwaitJobGone(const JobFootprint& footprint, absl::Time deadline);

}  // namespace ultracc::testing
