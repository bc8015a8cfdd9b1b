// The launch sequence and the job's stop logic; see launcher.h.
#include "tools/launch/launcher.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "runtime/control/token.h"
#include "transport/ofi/ofi_fabric.h"
#include "tools/launch/daemon_client.h"
#include "tools/launch/job_record.h"
#include "tools/launch/local_daemons.h"

extern char** environ;

namespace ultracc::launch {
namespace {

constexpr absl::Duration kRpcTimeout = absl::Seconds(10);
constexpr absl::Duration kStartTimeout = absl::Seconds(30);
constexpr absl::Duration kSurvivorsSettle = absl::Seconds(2);

// Output lines from every node, written whole with their rank prefix.
class OutputRelay {
 public:
  explicit OutputRelay(bool tag) : tag_(tag) {}
  void Line(int rank, bool is_stderr, const std::string& text) {
    std::string line = tag_ ? absl::StrCat("[", rank, "] ", text, "\n") : absl::StrCat(text, "\n");
    std::lock_guard<std::mutex> lock(mu_);
    FILE* out = is_stderr ? stderr : stdout;
    fwrite(line.data(), 1, line.size(), out);
    fflush(out);
  }
  void Note(const std::string& text) {
    std::lock_guard<std::mutex> lock(mu_);
    fprintf(stderr, "ultracc launch: %s\n", text.c_str());
    fflush(stderr);
  }

 private:
  const bool tag_;
  std::mutex mu_;
};

// What the watcher threads report to the main thread.
struct JobState {
  absl::Mutex mu;
  int exited = 0;                  // ranks that exited
  std::optional<int> failed_rank;  // the first rank that exited non-zero
  int failed_code = 0;
  std::optional<std::string> lost_daemon;  // a watch stream that broke
  int lost_ranks = 0;                      // ranks of that node, whose exits never arrive
  std::map<int, std::string> last_line;    // by rank: the latest line it printed
  int watchers_done = 0;
};

// ULTRACC_* settings of the launcher's environment travel to the ranks on every node.
void ForwardSettings(proto::JobSpec* job) {
  for (char** e = environ; *e != nullptr; ++e) {
    absl::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq == absl::string_view::npos || !absl::StartsWith(entry, "ULTRACC_")) continue;
    std::string name(entry.substr(0, eq));
    if (name == "ULTRACC_JOB_TOKEN") continue;
    (*job->mutable_env())[name] = std::string(entry.substr(eq + 1));
  }
}

sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

}  // namespace

int RunLaunch(const LaunchOptions& options) {
  OutputRelay relay(options.tag_output);
  const int world = options.nodes * options.chips_per_node;
  sigset_t stop_signals = BlockStopSignals();

  // The token: given by the user for running daemons, made fresh for our own.
  std::string token;
  if (const char* t = getenv("ULTRACC_JOB_TOKEN"); t != nullptr && *t != '\0') token = t;
  if (!options.daemons.empty() && token.empty()) {
    relay.Note("--daemons needs ULTRACC_JOB_TOKEN set to the daemons' token");
    return 1;
  }
  if (token.empty()) token = control::NewToken();
  // A provider that is missing here fails the launch at once, not every rank's first collective.
  // (With --daemons the nodes may be other hosts; they report their own.)
  if (options.transport == "ofi" && options.daemons.empty() && options.nodes > 1) {
    std::string provider = options.ofi_provider;
    if (const char* p = getenv("ULTRACC_OFI_PROVIDER"); provider.empty() && p != nullptr) {
      provider = p;
    }
    if (auto info = transport::ofi::SelectProvider(provider); !info.ok()) {
      relay.Note(absl::StrCat("--transport ofi: ", info.status().message()));
      return 1;
    }
  }

  LocalDaemons local;
  std::vector<std::string> addresses = options.daemons;
  if (addresses.empty()) {
    std::string binary =
        options.daemon_binary.empty() ? DaemonBinaryNextToSelf() : options.daemon_binary;
    auto started = local.Start(binary, options.nodes, token, absl::Now() + kStartTimeout);
    if (!started.ok()) {
      relay.Note(std::string(started.status().message()));
      return 1;
    }
    addresses = *started;
  }
  std::vector<std::unique_ptr<DaemonClient>> daemons;
  for (const auto& a : addresses) daemons.push_back(std::make_unique<DaemonClient>(a, token));
  auto shutdown_daemons = [&] {
    if (!options.daemons.empty()) return;
    for (auto& d : daemons) d->Shutdown(options.grace, absl::Now() + kRpcTimeout).IgnoreError();
    local.Stop(options.grace + absl::Seconds(5));
  };

  proto::JobSpec job;
  job.set_job_id(absl::StrCat(getpid(), "-", control::NewToken().substr(0, 12)));
  job.set_nodes(options.nodes);
  job.set_chips_per_node(options.chips_per_node);
  job.set_transport(options.transport);
  for (const auto& a : addresses) job.add_daemon_addresses(a);
  job.set_program(options.program);
  for (const auto& a : options.args) job.add_args(a);
  if (char cwd[4096]; getcwd(cwd, sizeof(cwd)) != nullptr) job.set_working_directory(cwd);
  ForwardSettings(&job);
  // Every rank and every daemon of the job read the same transport settings from here.
  (*job.mutable_env())["ULTRACC_TRANSPORT"] = options.transport;
  if (!options.ofi_provider.empty()) {
    (*job.mutable_env())["ULTRACC_OFI_PROVIDER"] = options.ofi_provider;
  }
  if (options.ofi_rails > 0) {
    (*job.mutable_env())["ULTRACC_OFI_RAILS"] = absl::StrCat(options.ofi_rails);
  }
  if (!options.topology.empty()) (*job.mutable_env())["ULTRACC_TOPOLOGY"] = options.topology;
  if (options.emulate_links_gbps > 0) {
    (*job.mutable_env())["ULTRACC_EMULATE_LINKS"] = absl::StrCat(options.emulate_links_gbps);
  }

  for (int n = 0; n < options.nodes; ++n) {
    absl::Status s = daemons[n]->Health(absl::Now() + kStartTimeout).status();
    if (s.ok()) s = daemons[n]->LaunchRanks(job, n, absl::Now() + kRpcTimeout).status();
    if (!s.ok()) {
      relay.Note(std::string(s.message()));
      for (int m = 0; m < n; ++m) {
        daemons[m]->SignalRanks(job.job_id(), SIGKILL, absl::Now() + kRpcTimeout).IgnoreError();
      }
      shutdown_daemons();
      return 1;
    }
  }

  // Lets `ultracc status` find the daemons while the job runs.
  JobRecord record{job.job_id(), token, options.nodes, options.chips_per_node, addresses, getpid()};
  if (absl::Status s = WriteJobRecord(record); !s.ok()) {
    relay.Note(absl::StrCat("ultracc status will not find this job: ", s.message()));
  }

  JobState state;
  std::vector<std::thread> watchers;
  for (int n = 0; n < options.nodes; ++n) {
    watchers.emplace_back([&, n] {
      absl::Status s = daemons[n]->WatchRanks(job.job_id(), [&](const proto::RankEvent& e) {
        switch (e.event_case()) {
          case proto::RankEvent::kStdoutLine:
          case proto::RankEvent::kStderrLine: {
            const bool is_stderr = e.event_case() == proto::RankEvent::kStderrLine;
            const std::string& line = is_stderr ? e.stderr_line() : e.stdout_line();
            relay.Line(e.rank(), is_stderr, line);
            absl::MutexLock lock(&state.mu);
            if (!line.empty()) state.last_line[e.rank()] = line;
            break;
          }
          case proto::RankEvent::kExitCode: {
            absl::MutexLock lock(&state.mu);
            ++state.exited;
            if (e.exit_code() != 0 && !state.failed_rank) {
              state.failed_rank = e.rank();
              state.failed_code = e.exit_code();
            }
            break;
          }
          default:
            break;
        }
      });
      absl::MutexLock lock(&state.mu);
      ++state.watchers_done;
      if (!s.ok() && !absl::IsCancelled(s) && !state.lost_daemon) {
        const int first = n * options.chips_per_node;
        state.lost_daemon = absl::StrCat(
            "lost node ", n, " (ultraccd at ", daemons[n]->address(), ", ranks ", first, "-",
            first + options.chips_per_node - 1, "): ", s.message());
        state.lost_ranks = options.chips_per_node;
      }
    });
  }

  // Wait for the end: all ranks exited, a rank failed, a daemon was lost, a signal, a timeout.
  int exit_code = 0;
  int stop_signal = 0;
  std::string reason;
  absl::Time job_deadline = options.job_timeout > absl::ZeroDuration()
                                ? absl::Now() + options.job_timeout
                                : absl::InfiniteFuture();
  while (true) {
    timespec zero = {0, 0};
    if (int sig = sigtimedwait(&stop_signals, nullptr, &zero); sig > 0) {
      stop_signal = sig;
      exit_code = 128 + sig;
      reason = absl::StrCat("received signal ", sig);
      break;
    }
    absl::MutexLock lock(&state.mu);
    auto decided = [&]() ABSL_SHARED_LOCKS_REQUIRED(state.mu) {
      return state.failed_rank || state.exited == world || state.lost_daemon;
    };
    state.mu.AwaitWithTimeout(absl::Condition(&decided), absl::Milliseconds(50));
    // A lost daemon comes first: the failures of the other nodes' ranks follow from it.
    if (state.lost_daemon) {
      exit_code = 1;
      reason = *state.lost_daemon;
      break;
    }
    if (state.failed_rank) {
      exit_code = state.failed_code;
      reason = absl::StrCat("rank ", *state.failed_rank, " exited with code ", state.failed_code);
      // Its last words usually say why (e.g. which rank its collective timed out on).
      if (auto last = state.last_line.find(*state.failed_rank); last != state.last_line.end()) {
        absl::StrAppend(&reason, " after: ", last->second);
      }
      break;
    }
    if (state.exited == world) break;
    if (absl::Now() >= job_deadline) {
      exit_code = 124;
      reason = "job timeout reached";
      break;
    }
  }

  if (!reason.empty()) {
    relay.Note(absl::StrCat(reason, "; stopping the job"));
    if (state.lost_daemon && stop_signal == 0) {
      // The other nodes' ranks fail at once (their transfers with the lost node break): let them
      // say so before they are stopped.
      absl::MutexLock lock(&state.mu);
      auto survivors_gone = [&]() ABSL_SHARED_LOCKS_REQUIRED(state.mu) {
        return state.exited + state.lost_ranks >= world;
      };
      state.mu.AwaitWithTimeout(absl::Condition(&survivors_gone),
                                std::min(options.grace, kSurvivorsSettle));
    }
    // Forward the signal itself (as mpirun and torchrun do), then insist.
    int first = stop_signal != 0 ? stop_signal : SIGTERM;
    for (auto& d : daemons) d->SignalRanks(job.job_id(), first, absl::Now() + kRpcTimeout).IgnoreError();
    absl::Time give_up = absl::Now() + options.grace;
    while (absl::Now() < give_up) {
      absl::MutexLock lock(&state.mu);
      auto all_gone = [&]() ABSL_SHARED_LOCKS_REQUIRED(state.mu) {
        return state.exited == world || state.lost_daemon.has_value();
      };
      if (state.mu.AwaitWithTimeout(absl::Condition(&all_gone), absl::Milliseconds(50))) break;
      timespec zero = {0, 0};
      if (sigtimedwait(&stop_signals, nullptr, &zero) > 0) break;  // a second Ctrl-C: no grace
    }
    for (auto& d : daemons) d->SignalRanks(job.job_id(), SIGKILL, absl::Now() + kRpcTimeout).IgnoreError();
  }
  {
    // Let the watchers deliver the last output lines, then end any that still wait.
    absl::MutexLock lock(&state.mu);
    auto watchers_done = [&]() ABSL_SHARED_LOCKS_REQUIRED(state.mu) {
      return state.watchers_done == options.nodes;
    };
    state.mu.AwaitWithTimeout(absl::Condition(&watchers_done), absl::Seconds(3));
  }
  for (auto& d : daemons) d->CancelWatch();
  for (auto& t : watchers) t.join();
  RemoveJobRecord(job.job_id());
  shutdown_daemons();
  // The cause again as the last line, below whatever the ranks printed while stopping.
  if (!reason.empty()) relay.Note(absl::StrCat("job stopped: ", reason));
  return exit_code;
}

}  // namespace ultracc::launch
