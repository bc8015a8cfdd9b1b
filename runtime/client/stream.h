// A CPU-side ordered queue of operations, like a CUDA stream: a worker thread runs them in issue
// order; callers return at once and synchronize later.
#pragma once

#include <deque>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ultracc::client {

// Thread-safe. The worker thread owns running the queued work; everything else is under mu_.
class Stream {
 public:
  using Work = std::function<absl::Status()>;

  Stream();
  ~Stream();  // drains the queue, then joins the worker
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  void Enqueue(Work work);
  // Waits until the queue is empty and idle or `deadline` passes (DeadlineExceeded); returns and
  // clears the first error since the last Synchronize.
  absl::Status Synchronize(absl::Time deadline);
  // OK when idle, Unavailable("in progress") while work is pending, or the first error (kept).
  absl::Status Query();

 private:
  void Run();

  absl::Mutex mu_;
  std::deque<Work> queue_ ABSL_GUARDED_BY(mu_);
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
  std::thread worker_;
};

}  // namespace ultracc::client
