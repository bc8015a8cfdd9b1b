// Local daemon processes; see local_daemons.h.
#include "tools/launch/local_daemons.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace ultracc::launch {
namespace {

constexpr absl::string_view kReadyPrefix = "ultraccd listening on ";

// Reads one line from `fd` before `deadline`.
absl::StatusOr<std::string> ReadLine(int fd, absl::Time deadline) {
  std::string line;
  while (true) {
    int wait_ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (wait_ms <= 0) return absl::DeadlineExceededError("ultraccd did not report its address");
    pollfd p = {fd, POLLIN, 0};
    int ready = poll(&p, 1, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char c;
    ssize_t n = read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnavailableError("ultraccd exited before reporting its address");
    if (c == '\n') return line;
    line.push_back(c);
  }
}

bool WaitForExit(pid_t pid, absl::Time deadline) {
  while (true) {
    pid_t r = waitpid(pid, nullptr, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

}  // namespace

std::string DaemonBinaryNextToSelf() {
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return "ultraccd";
  std::string self(path, n);
  return self.substr(0, self.rfind('/') + 1) + "ultraccd";
}

LocalDaemons::~LocalDaemons() { Stop(absl::ZeroDuration()); }

absl::StatusOr<std::vector<std::string>> LocalDaemons::Start(const std::string& binary, int count,
                                                             const std::string& token,
                                                             absl::Time deadline) {
  const std::string token_entry = absl::StrCat("ULTRACC_JOB_TOKEN=", token);
  // All are started before any is waited for: each takes a fraction of a second to come up, and
  // an 8-node job would otherwise pay that eight times over.
  std::vector<int> lines_from;  // read ends of the daemons' stdout, in node order
  absl::Status started = absl::OkStatus();
  for (int i = 0; i < count && started.ok(); ++i) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) {
      started = absl::ResourceExhaustedError(absl::StrCat("pipe2: ", strerror(errno)));
      break;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
      close(out[0]);
      close(out[1]);
      started = absl::ResourceExhaustedError(absl::StrCat("fork: ", strerror(errno)));
      break;
    }
    if (pid == 0) {
      // Its own process group: a terminal's Ctrl-C reaches the launcher, which stops the job in
      // order. The parent-death signal stops it if the launcher is killed outright.
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) _exit(1);
      dup2(out[1], STDOUT_FILENO);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      putenv(const_cast<char*>(token_entry.c_str()));
      execl(binary.c_str(), binary.c_str(), "--listen", "127.0.0.1:0", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    pids_.push_back(pid);
    lines_from.push_back(out[0]);
  }
  std::vector<std::string> addresses;
  for (size_t i = 0; i < lines_from.size(); ++i) {
    if (started.ok()) {
      absl::StatusOr<std::string> line = ReadLine(lines_from[i], deadline);
      if (!line.ok()) {
        started = absl::UnavailableError(
            absl::StrCat("starting node daemon ", i, " (", binary, "): ", line.status().message()));
      } else if (!absl::StartsWith(*line, kReadyPrefix)) {
        started = absl::InternalError(absl::StrCat("unexpected first line from ultraccd: ", *line));
      } else {
        addresses.push_back(line->substr(kReadyPrefix.size()));
      }
    }
    close(lines_from[i]);
  }
  if (!started.ok()) return started;
  return addresses;
}

void LocalDaemons::Stop(absl::Duration grace) {
  absl::Time deadline = absl::Now() + grace;
  for (pid_t pid : pids_) {
    if (!WaitForExit(pid, deadline)) {
      kill(pid, SIGTERM);
      if (!WaitForExit(pid, absl::Now() + absl::Seconds(3))) {
        kill(pid, SIGKILL);
        WaitForExit(pid, absl::Now() + absl::Seconds(5));
      }
    }
  }
  pids_.clear();
}

}  // namespace ultracc::launch
