// The bytes of a shared-memory transport member's segment, as every member of the host maps them.
//
// Member r's segment holds r's header and one inbound ring per sender: ring s is written only by
// member s (producer) and read only by r (consumer). Messages are cut into slot-sized chunks that
// travel in order; the first chunk of a message carries its tag and total size. Only address-free
// atomics and plain bytes live here, no pointers: each process maps the segment at its own
// address.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace ultracc::transport::shm {

inline constexpr uint32_t kSegmentMagic = 0x55534d54;  // "USMT"
inline constexpr uint32_t kSegmentVersion = 1;
inline constexpr size_t kCacheLine = 64;
// 64 KiB chunks keep the per-chunk bookkeeping negligible, and 32 of them (2 MiB per directed
// pair) let a sender run well ahead of its receiver so both copy at once.
inline constexpr uint32_t kSlots = 32;
inline constexpr size_t kSlotBytes = size_t{64} << 10;

static_assert(std::atomic<uint32_t>::is_always_lock_free &&
                  std::atomic<uint64_t>::is_always_lock_free,
              "the segment is shared between processes and needs address-free atomics");

struct alignas(kCacheLine) SegmentHeader {
  // Written before the segment's address is published, then read-only.
  std::atomic<uint32_t> magic;
  std::atomic<uint32_t> version;
  std::atomic<uint32_t> members;
  std::atomic<uint32_t> rank;
  std::atomic<uint64_t> group_hash;  // of the group key, so a stray address is refused
  // Set once when the owner aborts or closes: peers fail what they still wait for from it.
  std::atomic<uint32_t> closed;
  char cause[200];  // why, NUL-terminated, written before `closed`
  // Bumped by whoever gives the owner work (a chunk to take, a slot freed for its sends); the
  // owner's progress thread sleeps on it. `sleeping` is set while it does, so that wakers make a
  // futex call only then.
  alignas(kCacheLine) std::atomic<uint32_t> doorbell;
  std::atomic<uint32_t> sleeping;
};

struct alignas(kCacheLine) SlotHeader {
  uint64_t tag;
  uint64_t message_bytes;  // the whole message's size, repeated in each chunk
  uint64_t offset;         // of this chunk in the message
  uint64_t chunk_bytes;
};

struct alignas(kCacheLine) Slot {
  SlotHeader header;
  unsigned char data[kSlotBytes];
};

struct alignas(kCacheLine) Ring {
  // Free-running counts of chunks produced and consumed; slot = count % kSlots.
  alignas(kCacheLine) std::atomic<uint64_t> head;  // producer
  alignas(kCacheLine) std::atomic<uint64_t> tail;  // consumer
  Slot slots[kSlots];
};

inline constexpr size_t SegmentBytes(int members) {
  return sizeof(SegmentHeader) + static_cast<size_t>(members) * sizeof(Ring);
}

inline Ring* RingOf(void* segment, int sender) {
  return reinterpret_cast<Ring*>(static_cast<unsigned char*>(segment) + sizeof(SegmentHeader)) +
         sender;
}

}  // namespace ultracc::transport::shm
