// Starts the rank processes of one node, captures their output line by line, reaps their exits,
// and delivers signals. The WatchRanks RPC reads its event log.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "daemon.pb.h"

namespace ultracc::daemon {

struct RankLaunch {
  int rank = 0;
  std::string program;
  std::vector<std::string> args;                // without argv[0]
  std::map<std::string, std::string> env;       // added to the daemon's own environment
  std::string working_directory;                // empty: the daemon's
};

// Thread-safe. One reaper thread owns the pipes and the child pids; other threads read the event
// log and the rank table under mu_.
class RankSupervisor {
 public:
  RankSupervisor() = default;
  ~RankSupervisor();  // kills what still runs (SIGKILL) and joins the reaper
  RankSupervisor(const RankSupervisor&) = delete;
  RankSupervisor& operator=(const RankSupervisor&) = delete;

  // Starts every rank (once per supervisor); on failure kills those already started and names the
  // rank and program.
  absl::StatusOr<std::vector<pid_t>> Start(const std::vector<RankLaunch>& launches);
  // Sends `signal` to every live rank's process group; returns how many were signalled.
  int Signal(int signal);
  // SIGTERM, then SIGKILL for those still alive after `grace`; returns when all have exited or
  // `grace` + 2 s passed.
  void Stop(absl::Duration grace);

  std::vector<proto::RankState> States() const;
  int LiveRanks() const;
  bool AllExited() const;

  // Copies events from index `from` on into `out`, waiting up to `deadline` for at least one.
  // Returns the index after the last copied event; `finished` becomes true once every rank exited
  // and the whole log was read.
  size_t ReadEvents(size_t from, absl::Time deadline, std::vector<proto::RankEvent>* out,
                    bool* finished) const;

 private:
  struct Child {
    int rank = 0;
    pid_t pid = -1;
    int out_fd = -1;
    int err_fd = -1;
    std::string out_partial, err_partial;
    bool running = true;
    int exit_code = 0;
  };
  absl::StatusOr<std::vector<pid_t>> SpawnAll(const std::vector<RankLaunch>& launches);
  void ReapLoop();
  // Reads what is available on `fd`; emits whole lines; returns false at EOF.
  bool Drain(Child& child, bool is_stderr) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Emit(proto::RankEvent event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::vector<Child> children_ ABSL_GUARDED_BY(mu_);
  std::vector<proto::RankEvent> events_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reaper_;
};

}  // namespace ultracc::daemon
