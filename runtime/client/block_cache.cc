// Reuse of large ultraccMemAlloc blocks outside daemon mode; see block_cache.h.
#include "runtime/client/block_cache.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace ultracc::client {
namespace {
constexpr size_t kAlignment = 64;

size_t DefaultCapacity() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  const size_t physical = pages > 0 && page > 0 ? static_cast<size_t>(pages) * page : 0;
  return std::min<size_t>(size_t{1} << 30, physical / 16);
}
}  // namespace

BlockCache& BlockCache::ForProcess() {
  // Never destroyed: ranks may free buffers from static destructors of their own.
  static BlockCache* cache = new BlockCache(size_t{1} << 20, DefaultCapacity());
  return *cache;
}

BlockCache::~BlockCache() {
  for (auto& [size, ptr] : waiting_) std::free(ptr);
}

absl::StatusOr<void*> BlockCache::Allocate(size_t bytes) {
  const size_t rounded = std::max(kAlignment, (bytes + kAlignment - 1) / kAlignment * kAlignment);
  if (rounded >= min_block_) {
    absl::MutexLock lock(&mu_);
    auto it = waiting_.lower_bound(rounded);
    if (it != waiting_.end() && it->first / 2 <= rounded) {
      void* ptr = it->second;
      live_[ptr] = it->first;
      waiting_bytes_ -= it->first;
      waiting_.erase(it);
      return ptr;
    }
  }
  void* ptr = std::aligned_alloc(kAlignment, rounded);
  if (ptr == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat("cannot allocate ", bytes, " bytes"));
  }
  if (rounded >= min_block_) {
    absl::MutexLock lock(&mu_);
    live_[ptr] = rounded;
  }
  return ptr;
}

void BlockCache::Free(void* ptr) {
  if (ptr == nullptr) return;
  absl::MutexLock lock(&mu_);
  auto live = live_.find(ptr);
  if (live == live_.end()) {
    std::free(ptr);
    return;
  }
  const size_t size = live->second;
  live_.erase(live);
  if (size > capacity_) {
    std::free(ptr);
    return;
  }
  // Make room by freeing the largest waiting blocks: the likeliest to be too big for what comes.
  while (waiting_bytes_ + size > capacity_) {
    auto largest = std::prev(waiting_.end());
    waiting_bytes_ -= largest->first;
    std::free(largest->second);
    waiting_.erase(largest);
  }
  waiting_.emplace(size, ptr);
  waiting_bytes_ += size;
}

size_t BlockCache::waiting_bytes() const {
  absl::MutexLock lock(&mu_);
  return waiting_bytes_;
}

}  // namespace ultracc::client
