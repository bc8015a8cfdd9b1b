// A one-shot completion that one thread signals and another waits on with a deadline.
//
// Waiting spins briefly, then blocks on a futex, so that oversubscribed hosts (many ranks on two
// cores) still make progress while lightly loaded ones see low latency.
#pragma once

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace ultracc {

class Completion {
 public:
  Completion() = default;
  Completion(const Completion&) = delete;
  Completion& operator=(const Completion&) = delete;

  // Re-arms the completion for another use; only legal when no one waits on it.
  void Reset();
  // Marks the work done with `status`; the first call wins, later calls are ignored.
  void Complete(absl::Status status);
  bool IsDone() const { return (state_.load(std::memory_order_acquire) & kStateMask) == kDone; }
  // Waits until done or until `deadline`; returns the completion status or DeadlineExceeded.
  absl::Status Wait(absl::Time deadline);
  // The status once done (undefined before).
  const absl::Status& status() const { return status_; }
  // Has the completing thread call `fn(arg)` once the status is set: for requests nobody waits
  // on, such as the parts of a larger one. Set before the completion can be completed; the
  // callback may destroy the completion.
  void SetOnDone(void (*fn)(void*), void* arg) {
    on_done_ = fn;
    on_done_arg_ = arg;
  }

 private:
  static constexpr uint32_t kPending = 0;
  static constexpr uint32_t kClaimed = 1;  // a completer is writing status_
  static constexpr uint32_t kDone = 2;
  static constexpr uint32_t kStateMask = 3;
  // Set by a waiter before it blocks, so the completer knows to wake. One word for both: once the
  // completer has published kDone a waiter may return and destroy the completion, so the completer
  // must not read any member after that store.
  static constexpr uint32_t kWaiterBit = 4;
  std::atomic<uint32_t> state_{kPending};
  absl::Status status_;
  void (*on_done_)(void*) = nullptr;
  void* on_done_arg_ = nullptr;
};

// One pause of a spin-wait: tells the CPU this thread is only polling.
inline void CpuRelax() {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#endif
}

// Waits on a 32-bit word until it differs from `expected` or `deadline` passes; spins first.
// Works on words in process-shared memory too. Returns false on timeout.
bool WaitWhileEquals(const std::atomic<uint32_t>& word, uint32_t expected, absl::Time deadline);
// The same without spinning first: for threads that are only woken up for new work.
bool BlockWhileEquals(const std::atomic<uint32_t>& word, uint32_t expected, absl::Time deadline);
// Wakes every waiter blocked on `word` (in any process).
void WakeAll(std::atomic<uint32_t>& word);

}  // namespace ultracc
