// Job records on this host; see job_record.h.
#include "tools/launch/job_record.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ultracc::launch {
namespace {

constexpr char kSuffix[] = ".job";

std::string RecordPath(const std::string& job_id) {
  return absl::StrCat(JobRecordDir(), "/", job_id, kSuffix);
}

// Parses "key=value" lines; unknown keys are skipped so that records can grow.
absl::StatusOr<JobRecord> ParseRecord(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  JobRecord record;
  std::string line;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    int number = 0;
    if (key == "job_id") record.job_id = value;
    if (key == "token") record.token = value;
    if (key == "daemon") record.daemons.push_back(value);
    if (key == "nodes" && absl::SimpleAtoi(value, &number)) record.nodes = number;
    if (key == "chips_per_node" && absl::SimpleAtoi(value, &number)) record.chips_per_node = number;
    if (key == "launcher_pid" && absl::SimpleAtoi(value, &number)) record.launcher_pid = number;
  }
  if (record.job_id.empty() || record.token.empty() || record.nodes < 1 ||
      static_cast<int>(record.daemons.size()) != record.nodes) {
    return absl::DataLossError(absl::StrCat(path, " is not a whole job record"));
  }
  return record;
}

}  // namespace

std::string JobRecordDir() {
  if (const char* run = getenv("XDG_RUNTIME_DIR"); run != nullptr && *run != '\0') {
    return absl::StrCat(run, "/ultracc");
  }
  return absl::StrCat("/tmp/ultracc-", getuid());
}

absl::Status WriteJobRecord(const JobRecord& record) {
  const std::string dir = JobRecordDir();
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::ErrnoToStatus(errno, absl::StrCat("mkdir ", dir));
  }
  struct stat info;
  if (lstat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) || info.st_uid != getuid()) {
    return absl::PermissionDeniedError(absl::StrCat(dir, " is not a folder of this user"));
  }
  std::ostringstream text;
  text << "job_id=" << record.job_id << "\ntoken=" << record.token << "\nnodes=" << record.nodes
       << "\nchips_per_node=" << record.chips_per_node << "\nlauncher_pid=" << record.launcher_pid
       << "\n";
  for (const std::string& d : record.daemons) text << "daemon=" << d << "\n";
  const std::string path = RecordPath(record.job_id);
  const std::string tmp = absl::StrCat(path, ".tmp");
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("open ", tmp));
  const std::string bytes = text.str();
  const bool written = write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  close(fd);
  if (!written || rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

void RemoveJobRecord(const std::string& job_id) { unlink(RecordPath(job_id).c_str()); }

std::vector<JobRecord> RunningJobs() {
  std::vector<JobRecord> jobs;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(JobRecordDir(), error)) {
    const std::string path = entry.path().string();
    if (path.size() < 4 || path.substr(path.size() - 4) != kSuffix) continue;
    absl::StatusOr<JobRecord> record = ParseRecord(path);
    if (!record.ok()) continue;
    // A launcher killed outright could not remove its record.
    if (record->launcher_pid <= 0 || kill(record->launcher_pid, 0) != 0) continue;
    jobs.push_back(*std::move(record));
  }
  std::sort(jobs.begin(), jobs.end(),
            [](const JobRecord& a, const JobRecord& b) { return a.job_id < b.job_id; });
  return jobs;
}

}  // namespace ultracc::launch
