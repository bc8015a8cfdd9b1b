// SpscRing<T>: a single-producer single-consumer queue of fixed-size records in shared memory.
//
// This is the submission/completion ring between a rank and ultraccd. It lives in memory the two
// processes both map (a SharedRegion), so its layout holds only lock-free 32-bit atomics and
// record slots - no pointers, no mutexes - and each process reaches it through its own handle.
//
// Waiting is adaptive (ultracc::WaitWhileEquals: spin, then futex). A side sets its "waiting"
// flag before it sleeps and the other side only bumps the wake word and calls futex-wake when
// that flag is set, so a Push or Pop that does not have to wait makes no system call.
//
// Threads: exactly one producer (TryPush/Push) and one consumer (TryPop/Pop) at a time, in any
// processes; Close() and closed() may be called by anyone.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/completion.h"

namespace ultracc::shm {
namespace spsc_ring_internal {

inline constexpr uint32_t kMagic = 0x55524e47;  // "URNG"
inline constexpr uint32_t kVersion = 1;
inline constexpr size_t kCacheLine = 64;

static_assert(std::atomic<uint32_t>::is_always_lock_free,
              "the ring is shared between processes and needs address-free atomics");

// The shared header. Fields are grouped by the side that writes them so that the producer's and
// the consumer's hot counters do not share a cache line.
struct alignas(kCacheLine) Header {
  // Written once by Init (magic last), then read-only; `closed` changes once.
  std::atomic<uint32_t> magic;
  std::atomic<uint32_t> version;
  std::atomic<uint32_t> capacity;
  std::atomic<uint32_t> record_size;
  std::atomic<uint32_t> closed;
  // Written by the producer. Indices run freely and wrap at 2^32; slot = index & (capacity - 1).
  alignas(kCacheLine) std::atomic<uint32_t> head;
  std::atomic<uint32_t> producer_waiting;
  std::atomic<uint32_t> consumer_wake;  // bumped by the producer (and Close) to wake the consumer
  // Written by the consumer.
  alignas(kCacheLine) std::atomic<uint32_t> tail;
  std::atomic<uint32_t> consumer_waiting;
  std::atomic<uint32_t> producer_wake;  // bumped by the consumer (and Close) to wake the producer
};

[[noreturn]] inline void DieBecause(const char* why) {
  std::fprintf(stderr, "SpscRing: %s\n", why);
  std::abort();
}

}  // namespace spsc_ring_internal

template <typename T>
class SpscRing {
  static_assert(std::is_trivially_copyable_v<T>, "records are copied between processes as bytes");
  static_assert(alignof(T) <= spsc_ring_internal::kCacheLine, "records align to at most 64");

 public:
  // Free-running 32-bit indices stay unambiguous while head - tail <= 2^31.
  static constexpr uint32_t kMaxCapacity = 1u << 31;

  // Shared bytes needed for a ring of `capacity` records (a power of two, 1..kMaxCapacity).
  static constexpr size_t BytesFor(uint32_t capacity) {
    return sizeof(spsc_ring_internal::Header) + size_t{capacity} * sizeof(T);
  }

  // Formats `mem` (64-byte aligned, at least BytesFor(capacity) bytes) as an empty ring. Done by
  // one side before the other attaches. An invalid capacity or misaligned `mem` is a programming
  // error and aborts.
  static SpscRing Init(void* mem, uint32_t capacity) {
    if (capacity == 0 || capacity > kMaxCapacity || (capacity & (capacity - 1)) != 0) {
      spsc_ring_internal::DieBecause("Init: capacity must be a power of two in 1..2^31");
    }
    if (reinterpret_cast<uintptr_t>(mem) % spsc_ring_internal::kCacheLine != 0) {
      spsc_ring_internal::DieBecause("Init: ring memory must be 64-byte aligned");
    }
    auto* header = new (mem) spsc_ring_internal::Header{};
    header->version.store(spsc_ring_internal::kVersion, std::memory_order_relaxed);
    header->capacity.store(capacity, std::memory_order_relaxed);
    header->record_size.store(sizeof(T), std::memory_order_relaxed);
    // Release: whoever sees the magic also sees the fields above.
    header->magic.store(spsc_ring_internal::kMagic, std::memory_order_release);
    return SpscRing(header, capacity);
  }

  // Attaches to a ring that Init formatted in `mem` of `bytes` bytes, checking that the header
  // matches this T and fits in `bytes`.
  static absl::StatusOr<SpscRing> Attach(void* mem, size_t bytes) {
    using spsc_ring_internal::Header;
    if (mem == nullptr) return absl::InvalidArgumentError("ring memory is null");
    if (reinterpret_cast<uintptr_t>(mem) % spsc_ring_internal::kCacheLine != 0) {
      return absl::InvalidArgumentError(absl::StrCat("ring memory at 0x",
                                                     absl::Hex(reinterpret_cast<uintptr_t>(mem)),
                                                     " is not 64-byte aligned"));
    }
    if (bytes < sizeof(Header)) {
      return absl::InvalidArgumentError(absl::StrCat("ring memory of ", bytes,
                                                     " bytes is smaller than the ring header (",
                                                     sizeof(Header), " bytes)"));
    }
    auto* header = std::launder(reinterpret_cast<Header*>(mem));
    uint32_t magic = header->magic.load(std::memory_order_acquire);
    if (magic != spsc_ring_internal::kMagic) {
      return absl::FailedPreconditionError(
          absl::StrCat("ring header magic is 0x", absl::Hex(magic), ", expected 0x",
                       absl::Hex(spsc_ring_internal::kMagic), " (not formatted by Init?)"));
    }
    uint32_t version = header->version.load(std::memory_order_relaxed);
    if (version != spsc_ring_internal::kVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          "ring layout version is ", version, ", this side speaks ", spsc_ring_internal::kVersion));
    }
    uint32_t record_size = header->record_size.load(std::memory_order_relaxed);
    if (record_size != sizeof(T)) {
      return absl::InvalidArgumentError(
          absl::StrCat("ring records are ", record_size, " bytes, this side expects ", sizeof(T)));
    }
    uint32_t capacity = header->capacity.load(std::memory_order_relaxed);
    if (capacity == 0 || capacity > kMaxCapacity || (capacity & (capacity - 1)) != 0) {
      return absl::DataLossError(
          absl::StrCat("ring capacity ", capacity, " is not a power of two in 1..2^31"));
    }
    if (bytes < BytesFor(capacity)) {
      return absl::InvalidArgumentError(absl::StrCat("ring of capacity ", capacity, " needs ",
                                                     BytesFor(capacity), " bytes, memory has ",
                                                     bytes));
    }
    uint32_t head = header->head.load(std::memory_order_acquire);
    uint32_t tail = header->tail.load(std::memory_order_acquire);
    if (head - tail > capacity) {
      return absl::DataLossError(absl::StrCat("ring indices are corrupt: head ", head, ", tail ",
                                              tail, ", capacity ", capacity));
    }
    return SpscRing(header, capacity);
  }

  // An unattached handle; only assignment is valid on it.
  SpscRing() = default;
  // Handles are views: copies address the same ring, and the memory must outlive them.
  SpscRing(const SpscRing&) = default;
  SpscRing& operator=(const SpscRing&) = default;

  uint32_t capacity() const { return capacity_; }
  // Records queued right now; exact only when called by the producer or consumer when the other
  // side is idle.
  uint32_t size() const {
    return header_->head.load(std::memory_order_acquire) -
           header_->tail.load(std::memory_order_acquire);
  }

  // Producer: appends `record` unless the ring is full or closed.
  bool TryPush(const T& record) {
    if (header_->closed.load(std::memory_order_acquire) != 0) return false;
    uint32_t head = header_->head.load(std::memory_order_relaxed);
    if (head - header_->tail.load(std::memory_order_acquire) >= capacity_) return false;
    std::memcpy(Slot(head), &record, sizeof(T));
    header_->head.store(head + 1, std::memory_order_release);
    WakeIfWaiting(header_->consumer_waiting, header_->consumer_wake);
    return true;
  }

  // Consumer: takes the oldest record unless the ring is empty. Still drains a closed ring.
  bool TryPop(T* record) {
    uint32_t tail = header_->tail.load(std::memory_order_relaxed);
    if (header_->head.load(std::memory_order_acquire) == tail) return false;
    std::memcpy(record, Slot(tail), sizeof(T));
    header_->tail.store(tail + 1, std::memory_order_release);
    WakeIfWaiting(header_->producer_waiting, header_->producer_wake);
    return true;
  }

  // Producer: appends `record`, waiting while the ring is full. Unavailable once closed,
  // DeadlineExceeded if still full at `deadline`.
  absl::Status Push(const T& record, absl::Time deadline) {
    while (true) {
      if (closed()) return ClosedError("push to");
      if (TryPush(record)) return absl::OkStatus();
      bool woke = Sleep(header_->producer_waiting, header_->producer_wake, deadline,
                        [this] { return !IsFull() || closed(); });
      if (!woke && IsFull() && !closed()) {
        return absl::DeadlineExceededError(absl::StrCat(
            "timed out waiting for space to push to a full ring of capacity ", capacity_));
      }
    }
  }

  // Consumer: takes the oldest record, waiting while the ring is empty. Unavailable once the ring
  // is closed and drained, DeadlineExceeded if still empty at `deadline`.
  absl::Status Pop(T* record, absl::Time deadline) {
    while (true) {
      if (TryPop(record)) return absl::OkStatus();
      if (closed()) {
        // Records pushed before Close are visible once `closed` is, so one more look drains them.
        if (TryPop(record)) return absl::OkStatus();
        return ClosedError("pop from");
      }
      bool woke = Sleep(header_->consumer_waiting, header_->consumer_wake, deadline,
                        [this] { return !IsEmpty() || closed(); });
      if (!woke && IsEmpty() && !closed()) {
        return absl::DeadlineExceededError(absl::StrCat(
            "timed out waiting for a record to pop from an empty ring of capacity ", capacity_));
      }
    }
  }

  // Closes the ring for both sides and wakes whichever of them sleeps. Idempotent.
  void Close() {
    header_->closed.store(1, std::memory_order_seq_cst);
    // Bump both wake words unconditionally: Close is rare and a sleeper must see a change.
    header_->consumer_wake.fetch_add(1, std::memory_order_seq_cst);
    header_->producer_wake.fetch_add(1, std::memory_order_seq_cst);
    WakeAll(header_->consumer_wake);
    WakeAll(header_->producer_wake);
  }
  bool closed() const { return header_->closed.load(std::memory_order_acquire) != 0; }

 private:
  SpscRing(spsc_ring_internal::Header* header, uint32_t capacity)
      : header_(header),
        slots_(reinterpret_cast<unsigned char*>(header) + sizeof(spsc_ring_internal::Header)),
        capacity_(capacity) {}

  unsigned char* Slot(uint32_t index) const {
    return slots_ + size_t{index & (capacity_ - 1)} * sizeof(T);
  }
  bool IsFull() const {
    return header_->head.load(std::memory_order_acquire) -
               header_->tail.load(std::memory_order_acquire) >=
           capacity_;
  }
  bool IsEmpty() const {
    return header_->head.load(std::memory_order_acquire) ==
           header_->tail.load(std::memory_order_acquire);
  }

  // Called after publishing an index. Pairs with Sleep: each side stores (index, resp. waiting
  // flag), fences, then loads the other's, so at least one of them sees the other's store and no
  // wake-up is lost. The waker clears the flag so that a burst of publications while the other
  // side is still waking up costs one futex wake, not one per record.
  static void WakeIfWaiting(std::atomic<uint32_t>& waiting, std::atomic<uint32_t>& wake) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (waiting.load(std::memory_order_relaxed) == 0) return;
    if (waiting.exchange(0, std::memory_order_relaxed) == 0) return;
    wake.fetch_add(1, std::memory_order_release);
    WakeAll(wake);
  }

  // Sleeps until the other side bumps `wake` or `deadline` passes, unless `ready` already holds
  // after announcing the wait. Returns false on timeout.
  template <typename Ready>
  static bool Sleep(std::atomic<uint32_t>& waiting, std::atomic<uint32_t>& wake,
                    absl::Time deadline, Ready ready) {
    // Read before announcing: a bump after this read (for a later publication) changes it.
    uint32_t seen = wake.load(std::memory_order_acquire);
    waiting.store(1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (ready()) {
      waiting.store(0, std::memory_order_relaxed);
      return true;
    }
    // With ranks oversubscribing the cores the other side is often runnable on this very core:
    // yielding once lets it fill or drain the ring (and bump `wake`) before we spin in
    // WaitWhileEquals, which on one core would burn the slice the other side needs.
    std::this_thread::yield();
    bool woke = WaitWhileEquals(wake, seen, deadline);
    waiting.store(0, std::memory_order_relaxed);
    return woke;
  }

  absl::Status ClosedError(absl::string_view operation) const {
    return absl::UnavailableError(
        absl::StrCat("cannot ", operation, " ring of capacity ", capacity_, ": ring closed"));
  }

  spsc_ring_internal::Header* header_ = nullptr;
  unsigned char* slots_ = nullptr;
  uint32_t capacity_ = 0;
};

}  // namespace ultracc::shm
