// Threads that split a node engine's local passes (reducing, copying and fanning out over the
// chips' buffers) into element ranges, so that one collective's memory traffic uses more than the
// engine thread's core. Large passes only: waking a worker costs microseconds.
//
// The caller runs one part itself; workers wait between passes spinning briefly and then blocking
// (common/completion.h's WaitWhileEquals), so idle workers cost nothing on a busy host.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

#include "absl/functional/function_ref.h"

namespace ultracc::collectives {

class LocalWorkers {
 public:
  // `threads` counts the caller: 1 runs every pass inline, with no worker threads.
  explicit LocalWorkers(int threads);
  ~LocalWorkers();
  LocalWorkers(const LocalWorkers&) = delete;
  LocalWorkers& operator=(const LocalWorkers&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(lo, hi) on disjoint ranges covering [0, n), each a multiple of `align` long except
  // the last, on up to threads() threads, with no part shorter than `min_part` (so small passes
  // stay on the caller). Returns when every part has returned. One caller at a time.
  void ParallelFor(size_t n, size_t min_part, size_t align,
                   absl::FunctionRef<void(size_t, size_t)> fn);

  // Threads an engine should use by default: the host's cores, at most 4.
  static int DefaultThreads();

 private:
  void WorkerLoop(int index);

  std::vector<std::thread> workers_;
  std::atomic<uint32_t> generation_{0};  // bumped per pass (and at shutdown)
  std::atomic<uint32_t> finished_{0};    // workers done with the current pass
  std::atomic<bool> stopping_{false};
  // The current pass, written before generation_ is bumped.
  const absl::FunctionRef<void(size_t, size_t)>* fn_ = nullptr;
  std::vector<size_t> bounds_;  // part k is [bounds_[k], bounds_[k + 1])
  int parts_ = 0;
};

}  // namespace ultracc::collectives
