// Rank arena and buffer allocation; see rank_memory.h.
#include "runtime/client/rank_memory.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "runtime/client/block_cache.h"
#include "runtime/config.h"

namespace ultracc::client {
namespace {
constexpr size_t kAlignment = 64;
}  // namespace

absl::StatusOr<RankMemory*> RankMemory::ForProcess() {
  static absl::Mutex mu(absl::kConstInit);
  static RankMemory* instance ABSL_GUARDED_BY(mu) = nullptr;
  static bool checked ABSL_GUARDED_BY(mu) = false;
  absl::MutexLock lock(&mu);
  if (checked) return instance;
  absl::StatusOr<Config> config = Config::FromEnvironment();
  if (!config.ok()) return config.status();
  if (config->InDaemonMode()) {
    auto region = shm::SharedRegion::Create("ultracc-arena", config->arena_bytes);
    if (!region.ok()) return region.status();
    instance = new RankMemory(*std::move(region));
  }
  checked = true;
  return instance;
}

absl::StatusOr<void*> RankMemory::Allocate(size_t bytes) {
  absl::StatusOr<size_t> offset = allocator_.Allocate(bytes == 0 ? 1 : bytes, kAlignment);
  if (!offset.ok()) return offset.status();
  return At(*offset);
}

absl::Status RankMemory::Free(void* ptr) {
  if (!Contains(ptr, 0)) {
    return absl::InvalidArgumentError("pointer does not lie in the rank's arena");
  }
  return allocator_.Free(OffsetOf(ptr));
}

bool RankMemory::Contains(const void* ptr, size_t bytes) const {
  auto p = reinterpret_cast<uintptr_t>(ptr);
  auto base = reinterpret_cast<uintptr_t>(region_.base());
  return p >= base && p - base <= region_.size() && bytes <= region_.size() - (p - base);
}

absl::StatusOr<void*> AllocateBuffer(size_t bytes) {
  absl::StatusOr<RankMemory*> memory = RankMemory::ForProcess();
  if (!memory.ok()) return memory.status();
  if (*memory != nullptr) return (*memory)->Allocate(bytes);
  return BlockCache::ForProcess().Allocate(bytes);
}

absl::Status FreeBuffer(void* ptr) {
  if (ptr == nullptr) return absl::OkStatus();
  absl::StatusOr<RankMemory*> memory = RankMemory::ForProcess();
  if (!memory.ok()) return memory.status();
  if (*memory != nullptr && (*memory)->Contains(ptr, 0)) return (*memory)->Free(ptr);
  BlockCache::ForProcess().Free(ptr);
  return absl::OkStatus();
}

}  // namespace ultracc::client
