// Subprocess: starts a program for a multi-process test, captures its stdout and stderr, sends it
// signals, and waits for it with a deadline.
//
// Multi-process tests must fail, not hang, when the runtime misbehaves: every wait here takes a
// deadline, a process still running at its deadline is killed, and no process outlives its
// Subprocess (the destructor kills it, and the parent-death signal covers a crashing test).
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ultracc::testing {

struct SubprocessOptions {
  std::vector<std::string> argv;           // argv[0] is the program (searched in PATH)
  std::map<std::string, std::string> env;  // added to (or replacing) the test's environment
  std::vector<std::string> unset_env;      // removed from the test's environment
  std::string working_directory;           // empty: the test's
};

struct SubprocessResult {
  int exit_code = -1;  // exit status, or 128+N after signal N
  bool signalled = false;
  std::string out;
  std::string err;
  absl::Duration elapsed;  // from start to exit
};

// Thread-safe. A reader thread drains both pipes into buffers, so a chatty child never blocks.
class Subprocess {
 public:
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(const SubprocessOptions& options);
  ~Subprocess();  // SIGKILLs the process if it still runs, reaps it, joins the reader
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }

  // Sends `signal` to the process (not to its children).
  absl::Status Signal(int signal);

  // Waits for the exit. At `deadline` the process is SIGKILLed and DeadlineExceeded is returned,
  // naming the command and carrying its output so far.
  absl::StatusOr<SubprocessResult> Wait(absl::Time deadline);

  // Waits until the stdout captured so far contains `text`; false at `deadline` or if the process
  // exited without writing it.
  bool AwaitStdout(absl::string_view text, absl::Time deadline);

  std::string Stdout() const;
  std::string Stderr() const;
  // "argv[0] argv[1] ...", for messages.
  const std::string& command() const { return command_; }

 private:
  Subprocess() = default;
  void ReadLoop(int out_fd, int err_fd);

  pid_t pid_ = -1;
  std::string command_;
  absl::Time started_;
  bool reaped_ = false;  // touched only by the thread calling Wait and the destructor
  SubprocessResult result_;
  mutable absl::Mutex mu_;
  std::string out_ ABSL_GUARDED_BY(mu_);
  std::string err_ ABSL_GUARDED_BY(mu_);
  bool exited_ ABSL_GUARDED_BY(mu_) = false;      // set by Wait once reaped
  bool pipes_done_ ABSL_GUARDED_BY(mu_) = false;  // both pipes hit EOF (or were abandoned)
  bool stop_reading_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reader_;
};

}  // namespace ultracc::testing
