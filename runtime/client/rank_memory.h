// The memory a rank process shares with its node daemon: one sparse memfd arena, mapped by both,
// out of which ultraccMemAlloc hands buffers the engine uses with no copy. Outside daemon mode,
// ultraccMemAlloc returns ordinary aligned memory.
#pragma once

#include <cstddef>
#include <memory>

#include "absl/status/statusor.h"
#include "runtime/shm/arena_allocator.h"
#include "runtime/shm/shared_region.h"

namespace ultracc::client {

// Thread-safe (the allocator locks).
class RankMemory {
 public:
  // The process's instance, created on first use from the process's Config; null outside daemon
  // mode. Deliberately never destroyed: buffers may be freed by static destructors after main().
  static absl::StatusOr<RankMemory*> ForProcess();

  // Allocates `bytes` (64-byte aligned) from the arena.
  absl::StatusOr<void*> Allocate(size_t bytes);
  // Frees a pointer from Allocate; InvalidArgument for any other pointer.
  absl::Status Free(void* ptr);
  // True when [ptr, ptr+bytes) lies inside the arena.
  bool Contains(const void* ptr, size_t bytes) const;
  // Offset of `ptr` inside the arena (only when Contains).
  size_t OffsetOf(const void* ptr) const {
    return static_cast<const char*>(ptr) - static_cast<const char*>(region_.base());
  }
  void* At(size_t offset) const { return static_cast<char*>(region_.base()) + offset; }
  const shm::SharedRegion& region() const { return region_; }

 private:
  RankMemory(shm::SharedRegion region)
      : region_(std::move(region)), allocator_(region_.size()) {}

  shm::SharedRegion region_;
  shm::ArenaAllocator allocator_;
};

// ultraccMemAlloc/ultraccMemFree for either mode.
absl::StatusOr<void*> AllocateBuffer(size_t bytes);
absl::Status FreeBuffer(void* ptr);

}  // namespace ultracc::client
