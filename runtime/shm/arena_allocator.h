// ArenaAllocator: hands out byte ranges of a rank's buffer arena (a SharedRegion) as offsets.
//
// Offsets, not pointers, because the rank and ultraccd map the arena at different addresses: an
// offset means the same bytes in both. The allocator keeps its books in ordinary (private) memory
// of whichever process manages the arena; only the offsets travel.
#pragma once

#include <cstddef>
#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace ultracc::shm {

// First-fit allocator over [0, size). Every block starts on a kGranule boundary and spans a whole
// number of granules (the last block may end at an unaligned `size`), so any alignment up to
// kGranule costs no padding. Freed blocks merge with free neighbours at once.
// Thread-safe: all methods may be called concurrently.
class ArenaAllocator {
 public:
  // Smallest unit handed out; also the cache-line size, so blocks never share a line.
  static constexpr size_t kGranule = 64;

  explicit ArenaAllocator(size_t size);
  ArenaAllocator(const ArenaAllocator&) = delete;
  ArenaAllocator& operator=(const ArenaAllocator&) = delete;

  // Reserves `bytes` rounded up to kGranule at an offset that is a multiple of `alignment` (a
  // power of two). A zero-byte request reserves one granule, so it too gets a unique offset that
  // must be freed. ResourceExhausted names the request, the largest free block and the arena size.
  absl::StatusOr<size_t> Allocate(size_t bytes, size_t alignment = kGranule);
  // Returns the block that starts at `offset`. InvalidArgument if no allocated block starts there
  // (never allocated, already freed, or pointing inside a block).
  absl::Status Free(size_t offset);

  // Bytes reserved by live blocks, including the rounding up to kGranule.
  size_t BytesInUse() const;
  // Length of the largest free block (what fragmentation leaves for one allocation).
  size_t LargestFreeBlock() const;
  // Whether [offset, offset + bytes) lies within one allocated block: lets the daemon check that
  // a range a rank names really belongs to a live buffer.
  bool Contains(size_t offset, size_t bytes) const;
  size_t size() const { return size_; }

 private:
  size_t LargestFreeBlockLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t size_;
  mutable absl::Mutex mu_;
  // offset -> length of each free block; no two free blocks touch (they are merged).
  std::map<size_t, size_t> free_ ABSL_GUARDED_BY(mu_);
  // offset -> length of each allocated block.
  std::map<size_t, size_t> used_ ABSL_GUARDED_BY(mu_);
  size_t bytes_in_use_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ultracc::shm
