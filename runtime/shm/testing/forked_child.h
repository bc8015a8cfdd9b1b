// ForkedChild: runs a function in a fork()ed child process for multi-process shm tests.
//
// The shm pieces exist to be shared between processes, so their tests need real ones. Every wait
// takes a deadline and a child that overstays is killed, so a bug fails the test instead of
// hanging it, and no child outlives the test (PR_SET_PDEATHSIG covers a dying parent).
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ultracc::shm::testing {

class ForkedChild {
 public:
  // Forks; the child runs `body` and _exits with its return value, so it never returns into the
  // test framework (its copy of the test state must not report anything). Fork only while the
  // calling process has no other threads.
  static absl::StatusOr<ForkedChild> Start(absl::FunctionRef<int()> body) {
    std::fflush(nullptr);  // or buffered output would be written twice
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return absl::ErrnoToStatus(errno, "fork of test child");
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(125);  // the parent died before prctl took effect
      int code = body();
      std::fflush(nullptr);
      _exit(code);
    }
    return ForkedChild(pid);
  }

  ForkedChild(ForkedChild&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}
  ForkedChild& operator=(ForkedChild&&) = delete;
  ForkedChild(const ForkedChild&) = delete;
  ForkedChild& operator=(const ForkedChild&) = delete;
  ~ForkedChild() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  pid_t pid() const { return pid_; }

  // The child's exit code once it exits. A child still running at `deadline` is killed and
  // reported as DeadlineExceeded; one killed by a signal as Aborted naming the signal.
  absl::StatusOr<int> Wait(absl::Time deadline) {
    if (pid_ <= 0) return absl::FailedPreconditionError("no child to wait for");
    absl::Duration poll = absl::Microseconds(100);
    while (true) {
      int status = 0;
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_t pid = std::exchange(pid_, -1);
        if (WIFEXITED(status)) return WEXITSTATUS(status);
        return absl::AbortedError(
            absl::StrCat("child ", pid, " was killed by signal ", WTERMSIG(status)));
      }
      if (r < 0 && errno != EINTR) {
        return absl::ErrnoToStatus(errno, absl::StrCat("waitpid for child ", pid_));
      }
      if (absl::Now() >= deadline) {
        pid_t pid = std::exchange(pid_, -1);
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        return absl::DeadlineExceededError(
            absl::StrCat("child ", pid, " did not exit before the deadline and was killed"));
      }
      absl::SleepFor(poll);
      poll = std::min(poll * 2, absl::Milliseconds(10));
    }
  }

 private:
  explicit ForkedChild(pid_t pid) : pid_(pid) {}

  pid_t pid_ = -1;
};

}  // namespace ultracc::shm::testing
