// Splitting a node engine's local passes across threads; see local_workers.h.
#include "collectives/local_workers.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "common/completion.h"

namespace ultracc::collectives {

LocalWorkers::LocalWorkers(int threads) {
  const int extra = std::max(0, threads - 1);
  bounds_.resize(static_cast<size_t>(extra) + 2);
  for (int i = 0; i < extra; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

LocalWorkers::~LocalWorkers() {
  stopping_.store(true, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  WakeAll(generation_);
  for (std::thread& t : workers_) t.join();
}

int LocalWorkers::DefaultThreads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(cores, 1u, 4u));
}

void LocalWorkers::WorkerLoop(int index) {
  uint32_t seen = 0;
  while (true) {
    // Passes are rare next to the wait: block in long slices, woken by WakeAll.
    while (!WaitWhileEquals(generation_, seen, absl::Now() + absl::Seconds(1))) {
    }
    seen = generation_.load(std::memory_order_acquire);
    if (stopping_.load(std::memory_order_acquire)) return;
    // Part 0 is the caller's; worker i takes part i + 1 when the pass has one.
    const int part = index + 1;
    if (part < parts_)
      (*fn_)(bounds_[static_cast<size_t>(part)], bounds_[static_cast<size_t>(part) + 1]);
    finished_.fetch_add(1, std::memory_order_acq_rel);
    WakeAll(finished_);
  }
}

void LocalWorkers::ParallelFor(size_t n, size_t min_part, size_t align,
                               absl::FunctionRef<void(size_t, size_t)> fn) {
  if (n == 0) return;
  align = std::max<size_t>(align, 1);
  const size_t by_size = min_part == 0 ? workers_.size() + 1 : n / min_part;
  const int parts = static_cast<int>(std::clamp<size_t>(by_size, 1, workers_.size() + 1));
  if (parts == 1) return fn(0, n);
  const size_t units = (n + align - 1) / align;
  for (int k = 0; k <= parts; ++k) {
    bounds_[static_cast<size_t>(k)] =
        std::min(n, units * static_cast<size_t>(k) / static_cast<size_t>(parts) * align);
  }
  bounds_[static_cast<size_t>(parts)] = n;
  fn_ = &fn;
  parts_ = parts;
  finished_.store(0, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  WakeAll(generation_);
  fn(bounds_[0], bounds_[1]);
  // Every worker reports, even those without a part, so the pass state is free afterwards.
  const uint32_t all = static_cast<uint32_t>(workers_.size());
  for (uint32_t done = finished_.load(std::memory_order_acquire); done < all;
       done = finished_.load(std::memory_order_acquire)) {
    WaitWhileEquals(finished_, done, absl::Now() + absl::Seconds(1));
  }
  fn_ = nullptr;
}

}  // namespace ultracc::collectives
