// Futex-based adaptive waiting; see completion.h.
#include "common/completion.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <climits>
#include <thread>

#include "absl/strings/str_cat.h"

namespace ultracc {
namespace {

constexpr int kSpinIterations = 2000;
// Blocking slices stay short so a missed wake-up costs little and deadlines stay accurate.
constexpr absl::Duration kMaxBlockSlice = absl::Milliseconds(50);

void FutexWait(const std::atomic<uint32_t>& word, uint32_t expected, absl::Duration timeout) {
  timespec ts = absl::ToTimespec(timeout);
  // Not FUTEX_PRIVATE: the word may live in memory shared between processes.
  syscall(SYS_futex, reinterpret_cast<const uint32_t*>(&word), FUTEX_WAIT, expected, &ts, nullptr,
          0);
}

}  // namespace

bool WaitWhileEquals(const std::atomic<uint32_t>& word, uint32_t expected, absl::Time deadline) {
  for (int i = 0; i < kSpinIterations; ++i) {
    if (word.load(std::memory_order_acquire) != expected) return true;
    CpuRelax();
  }
  for (int i = 0; i < 16; ++i) {
    if (word.load(std::memory_order_acquire) != expected) return true;
    std::this_thread::yield();
  }
  return BlockWhileEquals(word, expected, deadline);
}

bool BlockWhileEquals(const std::atomic<uint32_t>& word, uint32_t expected, absl::Time deadline) {
  while (word.load(std::memory_order_acquire) == expected) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    FutexWait(word, expected, std::min(left, kMaxBlockSlice));
  }
  return true;
}

void WakeAll(std::atomic<uint32_t>& word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

void Completion::Reset() {
  status_ = absl::OkStatus();
  on_done_ = nullptr;
  on_done_arg_ = nullptr;
  state_.store(kPending, std::memory_order_release);
}

void Completion::Complete(absl::Status status) {
  uint32_t seen = state_.load(std::memory_order_acquire);
  do {
    if ((seen & kStateMask) != kPending) return;  // the first call wins
  } while (!state_.compare_exchange_weak(seen, (seen & ~kStateMask) | kClaimed,
                                         std::memory_order_acq_rel, std::memory_order_acquire));
  void (*on_done)(void*) = on_done_;
  void* on_done_arg = on_done_arg_;
  status_ = std::move(status);
  // After this exchange the completion may be gone: only its address is used, by the wake.
  const uint32_t before = state_.exchange(kDone, std::memory_order_acq_rel);
  if (before & kWaiterBit) WakeAll(state_);
  if (on_done != nullptr) on_done(on_done_arg);
}

absl::Status Completion::Wait(absl::Time deadline) {
  if (!IsDone()) {
    uint32_t s = state_.fetch_or(kWaiterBit, std::memory_order_acq_rel) | kWaiterBit;
    while ((s & kStateMask) != kDone) {
      if (!WaitWhileEquals(state_, s, deadline)) {
        if (!IsDone()) return absl::DeadlineExceededError("timed out waiting for completion");
        break;
      }
      s = state_.load(std::memory_order_acquire);
    }
  }
  return status_;
}

}  // namespace ultracc
