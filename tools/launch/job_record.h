// The record `ultracc launch` keeps of a running job on this host, so that `ultracc status` (and
// anything else that must reach the job's daemons later) finds them and their token: one file per
// job in $XDG_RUNTIME_DIR/ultracc (else /tmp/ultracc-UID), readable only by its owner because it
// holds the token. The launcher removes it when the job ends.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace ultracc::launch {

struct JobRecord {
  std::string job_id;
  std::string token;
  int nodes = 0;
  int chips_per_node = 0;
  std::vector<std::string> daemons;  // control addresses, by node
  pid_t launcher_pid = 0;
};

// The folder that holds the records.
std::string JobRecordDir();

// Writes `record` (mode 0600, the folder 0700), replacing any record of the same job.
absl::Status WriteJobRecord(const JobRecord& record);
// Removes the record of `job_id`, if present.
void RemoveJobRecord(const std::string& job_id);
// The records whose launcher still runs, oldest job id first.
std::vector<JobRecord> RunningJobs();

}  // namespace ultracc::launch
