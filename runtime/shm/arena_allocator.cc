// First-fit offset allocation with coalescing; see arena_allocator.h.
#include "runtime/shm/arena_allocator.h"

#include <algorithm>
#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"

namespace ultracc::shm {

ArenaAllocator::ArenaAllocator(size_t size) : size_(size) {
  if (size_ > 0) free_.emplace(0, size_);
}

absl::StatusOr<size_t> ArenaAllocator::Allocate(size_t bytes, size_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "arena allocation of ", bytes, " bytes: alignment ", alignment, " is not a power of two"));
  }
  absl::MutexLock lock(&mu_);
  // Checked before rounding so that huge requests cannot overflow.
  const size_t length =
      bytes > size_ ? 0 : (std::max<size_t>(bytes, 1) + kGranule - 1) / kGranule * kGranule;
  if (length > 0) {
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      const size_t start = it->first;
      const size_t end = start + it->second;
      const size_t misalignment = start % alignment;
      const size_t padding = misalignment == 0 ? 0 : alignment - misalignment;
      if (padding > it->second || it->second - padding < length) continue;
      const size_t offset = start + padding;
      free_.erase(it);
      // The padding in front stays free: blocks start on granules, so it is whole granules.
      if (padding > 0) free_.emplace(start, padding);
      if (offset + length < end) free_.emplace(offset + length, end - offset - length);
      used_.emplace(offset, length);
      bytes_in_use_ += length;
      return offset;
    }
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("arena allocation of ", bytes, " bytes (alignment ", alignment,
                   ") does not fit: largest free block is ", LargestFreeBlockLocked(),
                   " bytes of a ", size_, "-byte arena with ", bytes_in_use_, " bytes in use"));
}

absl::Status ArenaAllocator::Free(size_t offset) {
  absl::MutexLock lock(&mu_);
  auto used = used_.find(offset);
  if (used == used_.end()) {
    std::string where;
    auto after = used_.upper_bound(offset);
    if (after != used_.begin()) {
      auto block = std::prev(after);
      if (offset < block->first + block->second) {
        where = absl::StrCat(" (it lies inside the block at ", block->first, " of ", block->second,
                             " bytes)");
      }
    }
    return absl::InvalidArgumentError(absl::StrCat("cannot free arena offset ", offset,
                                                   ": no allocated block starts there", where,
                                                   "; arena is ", size_, " bytes"));
  }
  size_t start = used->first;
  size_t end = start + used->second;
  bytes_in_use_ -= used->second;
  used_.erase(used);
  auto next = free_.lower_bound(start);
  if (next != free_.end() && next->first == end) {
    end += next->second;
    next = free_.erase(next);
  }
  if (next != free_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == start) {
      start = prev->first;
      free_.erase(prev);
    }
  }
  free_.emplace(start, end - start);
  return absl::OkStatus();
}

size_t ArenaAllocator::BytesInUse() const {
  absl::MutexLock lock(&mu_);
  return bytes_in_use_;
}

size_t ArenaAllocator::LargestFreeBlock() const {
  absl::MutexLock lock(&mu_);
  return LargestFreeBlockLocked();
}

size_t ArenaAllocator::LargestFreeBlockLocked() const {
  size_t largest = 0;
  for (const auto& [offset, length] : free_) largest = std::max(largest, length);
  return largest;
}

bool ArenaAllocator::Contains(size_t offset, size_t bytes) const {
  absl::MutexLock lock(&mu_);
  auto after = used_.upper_bound(offset);
  if (after == used_.begin()) return false;
  auto block = std::prev(after);
  const size_t block_end = block->first + block->second;
  return offset < block_end && bytes <= block_end - offset;
}

}  // namespace ultracc::shm
