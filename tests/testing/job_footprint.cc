// Host inspection for leftover job resources; see job_footprint.h.
#include "tests/testing/job_footprint.h"

#include <dirent.h>
#include <signal.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace ultracc::testing {
namespace {

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The state letter of /proc/<pid>/stat ('R', 'S', 'Z', ...), or 0 when the process is gone.
char ProcessState(pid_t pid) {
  std::string stat = ReadWhole(absl::StrCat("/proc/", pid, "/stat"));
  // The command name sits in parentheses and may itself contain spaces or ')'.
  size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return 0;
  return stat[close + 2];
}

std::vector<pid_t> AllPids() {
  std::vector<pid_t> pids;
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return pids;
  while (dirent* entry = readdir(dir)) {
    int pid = 0;
    if (absl::SimpleAtoi(entry->d_name, &pid) && pid > 0) pids.push_back(pid);
  }
  closedir(dir);
  return pids;
}

// Everything of the job still present, one description per item; empty when clean.
std::vector<std::string> Remains(const JobFootprint& footprint) {
  std::vector<std::string> remains;
  std::set<pid_t> reported;
  for (pid_t pid : footprint.pids) {
    if (!ProcessGone(pid) && reported.insert(pid).second) {
      remains.push_back(absl::StrCat("process ", pid, " (",
                                     ReadWhole(absl::StrCat("/proc/", pid, "/comm")), ")"));
    }
  }
  if (!footprint.token.empty()) {
    for (pid_t pid : ProcessesWithEnvironment("ULTRACC_JOB_TOKEN", footprint.token)) {
      if (reported.insert(pid).second) {
        remains.push_back(absl::StrCat("process ", pid, " of the job (",
                                       ReadWhole(absl::StrCat("/proc/", pid, "/comm")), ")"));
      }
    }
  }
  if (!footprint.socket_prefix.empty()) {
    for (const std::string& name : AbstractSockets(footprint.socket_prefix)) {
      remains.push_back(absl::StrCat("abstract socket @", name));
    }
  }
  for (const std::string& name : ShmEntries("ultracc")) {
    if (footprint.shm_before.count(name) == 0) remains.push_back("/dev/shm/" + name);
  }
  return remains;
}

}  // namespace

bool ProcessGone(pid_t pid) {
  if (kill(pid, 0) != 0 && errno == ESRCH) return true;
  char state = ProcessState(pid);
  return state == 0 || state == 'Z' || state == 'X';
}

std::vector<pid_t> ProcessesWithEnvironment(absl::string_view name, absl::string_view value) {
  const std::string wanted = absl::StrCat(name, "=", value);
  std::vector<pid_t> found;
  for (pid_t pid : AllPids()) {
    // Unreadable (another user's) or vanished processes read as empty.
    std::string environ = ReadWhole(absl::StrCat("/proc/", pid, "/environ"));
    for (absl::string_view entry : absl::StrSplit(environ, '\0')) {
      if (entry == wanted) {
        if (!ProcessGone(pid)) found.push_back(pid);
        break;
      }
    }
  }
  return found;
}

std::vector<std::string> AbstractSockets(absl::string_view prefix) {
  std::vector<std::string> names;
  std::istringstream table(ReadWhole("/proc/net/unix"));
  std::string line;
  std::getline(table, line);  // header
  while (std::getline(table, line)) {
    // Num RefCount Protocol Flags Type St Inode Path: the path is the 8th field, if any.
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (fields.size() < 8 || !absl::StartsWith(fields[7], "@")) continue;
    absl::string_view name = fields[7].substr(1);
    if (absl::StartsWith(name, prefix)) names.emplace_back(name);
  }
  return names;
}

std::set<std::string> ShmEntries(absl::string_view prefix) {
  std::set<std::string> names;
  DIR* dir = opendir("/dev/shm");
  if (dir == nullptr) return names;
  while (dirent* entry = readdir(dir)) {
    if (absl::StartsWith(entry->d_name, prefix)) names.insert(entry->d_name);
  }
  closedir(dir);
  return names;
}

absl::Status AwaitJobGone(const JobFootprint& footprint, absl::Time deadline) {
  while (true) {
    std::vector<std::string> remains = Remains(footprint);
    if (remains.empty()) return absl::OkStatus();
    if (absl::Now() >= deadline) {
      return absl::FailedPreconditionError(
          absl::StrCat("the job left behind: ", absl::StrJoin(remains, ", ")));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
}

}  // namespace ultracc::testing
