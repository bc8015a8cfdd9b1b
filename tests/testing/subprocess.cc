// Subprocess start, output capture and deadline-bounded waits; see subprocess.h.
#include "tests/testing/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

extern char** environ;

namespace ultracc::testing {
namespace {

// After the exit, how long output may keep arriving from pipes a leftover descendant still holds.
constexpr absl::Duration kDrainAfterExit = absl::Seconds(2);
constexpr size_t kTailBytes = 4000;

std::vector<std::string> BuildEnvironment(const SubprocessOptions& options) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    bool drop = options.env.count(name) > 0 ||
                std::find(options.unset_env.begin(), options.unset_env.end(), name) !=
                    options.unset_env.end();
    if (!drop) env.push_back(std::move(entry));
  }
  for (const auto& [name, value] : options.env) env.push_back(absl::StrCat(name, "=", value));
  return env;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

std::string Tail(const std::string& text) {
  return text.size() <= kTailBytes ? text : "..." + text.substr(text.size() - kTailBytes);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(const SubprocessOptions& options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("Subprocess needs an argv[0]");
  std::vector<std::string> argv_strings = options.argv;
  std::vector<std::string> env_strings = BuildEnvironment(options);
  std::vector<char*> argv = Pointers(argv_strings);
  std::vector<char*> envp = Pointers(env_strings);
  const char* cwd = options.working_directory.empty() ? nullptr : options.working_directory.c_str();

  int out_pipe[2], err_pipe[2], exec_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0 ||
      pipe2(exec_pipe, O_CLOEXEC) != 0) {
    return absl::ErrnoToStatus(errno, "pipe2 for a subprocess");
  }
  std::unique_ptr<Subprocess> process(new Subprocess());
  process->command_ = absl::StrJoin(options.argv, " ");
  process->started_ = absl::Now();
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return absl::ErrnoToStatus(errno, "fork for " + process->command_);
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec: the test process has other threads.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (cwd == nullptr || chdir(cwd) == 0) execvpe(argv[0], argv.data(), envp.data());
    int err = errno;
    (void)!write(exec_pipe[1], &err, sizeof(err));
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(exec_pipe[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(exec_pipe[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  close(exec_pipe[0]);
  process->pid_ = pid;
  if (n == sizeof(child_errno)) {
    waitpid(pid, nullptr, 0);
    process->reaped_ = true;
    close(out_pipe[0]);
    close(err_pipe[0]);
    return absl::ErrnoToStatus(child_errno, "cannot start " + process->command_);
  }
  fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
  Subprocess* raw = process.get();
  process->reader_ = std::thread([raw, o = out_pipe[0], e = err_pipe[0]] { raw->ReadLoop(o, e); });
  return process;
}

Subprocess::~Subprocess() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  {
    absl::MutexLock lock(&mu_);
    stop_reading_ = true;
  }
  if (reader_.joinable()) reader_.join();
}

void Subprocess::ReadLoop(int out_fd, int err_fd) {
  int fds[2] = {out_fd, err_fd};
  char buffer[16384];
  while (fds[0] >= 0 || fds[1] >= 0) {
    pollfd p[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
    poll(p, 2, 50);
    bool stop;
    {
      absl::MutexLock lock(&mu_);
      stop = stop_reading_;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i] < 0) continue;
      while (true) {
        ssize_t got = read(fds[i], buffer, sizeof(buffer));
        if (got > 0) {
          absl::MutexLock lock(&mu_);
          (i == 0 ? out_ : err_).append(buffer, got);
          continue;
        }
        if (got < 0 && errno == EINTR) continue;
        if (got == 0 || (got < 0 && errno != EAGAIN) || stop) {
          close(fds[i]);
          fds[i] = -1;
        }
        break;
      }
    }
  }
  absl::MutexLock lock(&mu_);
  pipes_done_ = true;
}

absl::Status Subprocess::Signal(int signal) {
  if (reaped_) return absl::FailedPreconditionError(command_ + " already exited");
  if (kill(pid_, signal) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("kill(", pid_, ", ", signal, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<SubprocessResult> Subprocess::Wait(absl::Time deadline) {
  if (reaped_) return result_;
  int status = 0;
  bool timed_out = false;
  absl::Duration poll = absl::Milliseconds(1);
  while (true) {
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (r < 0 && errno != EINTR) {
      return absl::ErrnoToStatus(errno, absl::StrCat("waitpid for ", command_));
    }
    if (absl::Now() >= deadline) {
      timed_out = true;
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    absl::SleepFor(poll);
    poll = std::min(poll * 2, absl::Milliseconds(20));
  }
  reaped_ = true;
  result_.elapsed = absl::Now() - started_;
  result_.exit_code = ExitCodeOf(status);
  result_.signalled = WIFSIGNALED(status);
  {
    absl::MutexLock lock(&mu_);
    exited_ = true;
    mu_.AwaitWithTimeout(absl::Condition(&pipes_done_),
                         timed_out ? absl::ZeroDuration() : kDrainAfterExit);
    stop_reading_ = true;
  }
  reader_.join();
  {
    absl::MutexLock lock(&mu_);
    result_.out = out_;
    result_.err = err_;
  }
  if (timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat(command_, " (pid ", pid_, ") was still running at its deadline after ",
                     absl::FormatDuration(result_.elapsed), " and was killed.\n--- stdout:\n",
                     Tail(result_.out), "\n--- stderr:\n", Tail(result_.err)));
  }
  return result_;
}

bool Subprocess::AwaitStdout(absl::string_view wanted, absl::Time deadline) {
  const std::string text(wanted);
  absl::MutexLock lock(&mu_);
  auto found_or_done = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) -> bool {
    return out_.find(text) != std::string::npos || pipes_done_ || exited_;
  };
  mu_.AwaitWithDeadline(absl::Condition(&found_or_done), deadline);
  return out_.find(text) != std::string::npos;
}

std::string Subprocess::Stdout() const {
  absl::MutexLock lock(&mu_);
  return out_;
}

std::string Subprocess::Stderr() const {
  absl::MutexLock lock(&mu_);
  return err_;
}

}  // namespace ultracc::testing
