// Rank process supervision; see rank_supervisor.h.
#include "runtime/daemon/rank_supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace ultracc::daemon {
namespace {

constexpr size_t kMaxLineBytes = 64 * 1024;
constexpr int kPollMillis = 50;

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

// The environment of a rank: the daemon's, with `overrides` replacing or adding entries.
std::vector<std::string> BuildEnvironment(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    absl::string_view entry(*e);
    absl::string_view name = entry.substr(0, entry.find('='));
    if (overrides.count(std::string(name)) == 0) env.emplace_back(entry);
  }
  for (const auto& [name, value] : overrides) env.push_back(absl::StrCat(name, "=", value));
  return env;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Starts one rank. Uses fork+exec (not posix_spawn) to set the parent-death signal, so ranks never
// outlive their daemon. Only async-signal-safe calls happen between fork and exec.
absl::StatusOr<pid_t> Spawn(const RankLaunch& launch, int out_fd, int err_fd) {
  std::vector<std::string> argv_strings = {launch.program};
  argv_strings.insert(argv_strings.end(), launch.args.begin(), launch.args.end());
  std::vector<std::string> env_strings = BuildEnvironment(launch.env);
  std::vector<char*> argv = Pointers(argv_strings);
  std::vector<char*> envp = Pointers(env_strings);
  const char* cwd = launch.working_directory.empty() ? nullptr : launch.working_directory.c_str();

  int status_pipe[2];  // carries errno if exec fails; closes on a successful exec
  if (pipe2(status_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", strerror(errno)));
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(status_pipe[0]);
    close(status_pipe[1]);
    return absl::ResourceExhaustedError(absl::StrCat("fork for rank ", launch.rank, ": ",
                                                     strerror(err)));
  }
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (cwd != nullptr && chdir(cwd) != 0) {
      int err = errno;
      (void)!write(status_pipe[1], &err, sizeof(err));
      _exit(127);
    }
    execvpe(argv[0], argv.data(), envp.data());
    int err = errno;
    (void)!write(status_pipe[1], &err, sizeof(err));
    _exit(127);
  }
  close(status_pipe[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(status_pipe[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  close(status_pipe[0]);
  if (n == sizeof(child_errno)) {
    waitpid(pid, nullptr, 0);
    return absl::InvalidArgumentError(absl::StrCat("cannot start rank ", launch.rank, ": '",
                                                   launch.program, "': ", strerror(child_errno)));
  }
  return pid;
}

}  // namespace

RankSupervisor::~RankSupervisor() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (Child& c : children_) {
      if (c.running) kill(-c.pid, SIGKILL);
    }
  }
  if (reaper_.joinable()) reaper_.join();
}

absl::StatusOr<std::vector<pid_t>> RankSupervisor::Start(const std::vector<RankLaunch>& launches) {
  if (reaper_.joinable()) return absl::FailedPreconditionError("ranks were already started");
  // The kernel sends the parent-death signal when the forking *thread* ends, so the ranks are
  // forked by the reaper thread, which lives as long as any of them.
  std::promise<absl::StatusOr<std::vector<pid_t>>> started;
  auto result = started.get_future();
  reaper_ = std::thread([this, &launches, &started] {
    absl::StatusOr<std::vector<pid_t>> pids = SpawnAll(launches);
    bool ok = pids.ok();
    started.set_value(std::move(pids));
    if (ok) ReapLoop();
  });
  absl::StatusOr<std::vector<pid_t>> pids = result.get();
  if (!pids.ok()) reaper_.join();
  return pids;
}

absl::StatusOr<std::vector<pid_t>> RankSupervisor::SpawnAll(
    const std::vector<RankLaunch>& launches) {
  std::vector<Child> started;
  absl::Status failure;
  for (const RankLaunch& launch : launches) {
    int out_pipe[2], err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
      failure = absl::ResourceExhaustedError(absl::StrCat("pipe2: ", strerror(errno)));
      break;
    }
    absl::StatusOr<pid_t> pid = Spawn(launch, out_pipe[1], err_pipe[1]);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (!pid.ok()) {
      close(out_pipe[0]);
      close(err_pipe[0]);
      failure = pid.status();
      break;
    }
    fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
    fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
    Child child;
    child.rank = launch.rank;
    child.pid = *pid;
    child.out_fd = out_pipe[0];
    child.err_fd = err_pipe[0];
    started.push_back(std::move(child));
  }
  if (!failure.ok()) {
    for (Child& c : started) {
      kill(-c.pid, SIGKILL);
      waitpid(c.pid, nullptr, 0);
      close(c.out_fd);
      close(c.err_fd);
    }
    return failure;
  }
  std::vector<pid_t> pids;
  absl::MutexLock lock(&mu_);
  for (Child& c : started) {
    pids.push_back(c.pid);
    children_.push_back(std::move(c));
  }
  return pids;
}

int RankSupervisor::Signal(int signal) {
  absl::MutexLock lock(&mu_);
  int count = 0;
  for (Child& c : children_) {
    // The rank leads its own process group; signal the group so its helpers stop too.
    if (c.running && kill(-c.pid, signal) == 0) ++count;
  }
  return count;
}

void RankSupervisor::Stop(absl::Duration grace) {
  Signal(SIGTERM);
  absl::MutexLock lock(&mu_);
  auto all_exited = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    for (const Child& c : children_) {
      if (c.running) return false;
    }
    return true;
  };
  if (mu_.AwaitWithTimeout(absl::Condition(&all_exited), grace)) return;
  for (Child& c : children_) {
    if (c.running) kill(-c.pid, SIGKILL);
  }
  mu_.AwaitWithTimeout(absl::Condition(&all_exited), absl::Seconds(2));
}

std::vector<proto::RankState> RankSupervisor::States() const {
  absl::MutexLock lock(&mu_);
  std::vector<proto::RankState> states;
  for (const Child& c : children_) {
    proto::RankState s;
    s.set_rank(c.rank);
    s.set_pid(c.pid);
    s.set_running(c.running);
    s.set_exit_code(c.exit_code);
    states.push_back(std::move(s));
  }
  return states;
}

int RankSupervisor::LiveRanks() const {
  absl::MutexLock lock(&mu_);
  int live = 0;
  for (const Child& c : children_) live += c.running ? 1 : 0;
  return live;
}

bool RankSupervisor::AllExited() const { return LiveRanks() == 0; }

size_t RankSupervisor::ReadEvents(size_t from, absl::Time deadline,
                                  std::vector<proto::RankEvent>* out, bool* finished) const {
  absl::MutexLock lock(&mu_);
  auto exited = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    for (const Child& c : children_) {
      if (c.running) return false;
    }
    return true;
  };
  auto ready = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return events_.size() > from || exited();
  };
  mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
  for (size_t i = from; i < events_.size(); ++i) out->push_back(events_[i]);
  *finished = exited() && !children_.empty();
  return events_.size();
}

void RankSupervisor::Emit(proto::RankEvent event) { events_.push_back(std::move(event)); }

bool RankSupervisor::Drain(Child& child, bool is_stderr) {
  int& fd = is_stderr ? child.err_fd : child.out_fd;
  std::string& partial = is_stderr ? child.err_partial : child.out_partial;
  if (fd < 0) return false;
  char buffer[16384];
  bool open = true;
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n > 0) {
      partial.append(buffer, n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (n < 0 && errno != EAGAIN)) open = false;
    break;
  }
  size_t start = 0;
  while (true) {
    size_t end = partial.find('\n', start);
    bool overlong = end == std::string::npos && partial.size() - start >= kMaxLineBytes;
    bool last = end == std::string::npos && !open && partial.size() > start;
    if (end == std::string::npos && !overlong && !last) break;
    if (end == std::string::npos) end = overlong ? start + kMaxLineBytes : partial.size();
    proto::RankEvent event;
    event.set_rank(child.rank);
    std::string line = partial.substr(start, end - start);
    if (is_stderr) {
      event.set_stderr_line(std::move(line));
    } else {
      event.set_stdout_line(std::move(line));
    }
    Emit(std::move(event));
    start = (end < partial.size() && partial[end] == '\n') ? end + 1 : end;
  }
  partial.erase(0, start);
  if (!open) {
    close(fd);
    fd = -1;
  }
  return open;
}

void RankSupervisor::ReapLoop() {
  while (true) {
    std::vector<pollfd> fds;
    {
      absl::MutexLock lock(&mu_);
      bool any_running = false;
      for (const Child& c : children_) {
        if (c.out_fd >= 0) fds.push_back({c.out_fd, POLLIN, 0});
        if (c.err_fd >= 0) fds.push_back({c.err_fd, POLLIN, 0});
        any_running |= c.running;
      }
      if (!any_running && fds.empty()) return;
    }
    poll(fds.data(), fds.size(), kPollMillis);
    absl::MutexLock lock(&mu_);
    for (Child& c : children_) {
      Drain(c, false);
      Drain(c, true);
      if (!c.running) continue;
      int status = 0;
      if (waitpid(c.pid, &status, WNOHANG) != c.pid) continue;
      // Output written before the exit is still in the pipes: take it, then close them even if a
      // leftover grandchild holds the write ends.
      Drain(c, false);
      Drain(c, true);
      for (int* fd : {&c.out_fd, &c.err_fd}) {
        if (*fd >= 0) {
          close(*fd);
          *fd = -1;
        }
      }
      c.running = false;
      c.exit_code = ExitCodeOf(status);
      // Reap the rest of its process group so nothing it started lingers.
      kill(-c.pid, SIGKILL);
      proto::RankEvent event;
      event.set_rank(c.rank);
      event.set_exit_code(c.exit_code);
      Emit(std::move(event));
    }
  }
}

}  // namespace ultracc::daemon
