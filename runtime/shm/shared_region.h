// SharedRegion: a MAP_SHARED mapping of an anonymous memfd, shared between a rank and its daemon.
//
// memfd rather than shm_open so that nothing is ever left behind: the memory has no name in any
// filesystem and lives exactly as long as some process holds the fd or a mapping of it, whichever
// way those processes exit. The fd travels to the other process over a UnixChannel (SCM_RIGHTS).
#pragma once

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ultracc::shm {

// Owns one read-write shared mapping and the memfd behind it; move-only. The bytes themselves are
// not synchronized: users place their own protocol in them (e.g. SpscRing, ArenaAllocator offsets).
class SharedRegion {
 public:
  // Creates a memfd of `bytes` (> 0) and maps it. The file is sparse: pages are allocated on first
  // touch, so large virtual sizes (e.g. an 8 GiB arena) cost nothing until used. `debug_name`
  // only shows up in /proc/<pid>/fd and /proc/<pid>/maps.
  static absl::StatusOr<SharedRegion> Create(absl::string_view debug_name, size_t bytes);
  // Maps the first `bytes` (> 0) of a memfd received from another process. Takes ownership of
  // `fd` on every path, including failure. Fails if the file is shorter than `bytes`, because
  // touching a mapped page past the end of the file would raise SIGBUS.
  static absl::StatusOr<SharedRegion> Map(int fd, size_t bytes);

  // An empty region: base() == nullptr, size() == 0, fd() == -1.
  SharedRegion() = default;
  SharedRegion(SharedRegion&& other) noexcept;
  SharedRegion& operator=(SharedRegion&& other) noexcept;
  SharedRegion(const SharedRegion&) = delete;
  SharedRegion& operator=(const SharedRegion&) = delete;
  // Unmaps and closes the fd; other processes' mappings stay valid.
  ~SharedRegion();

  void* base() const { return base_; }
  size_t size() const { return size_; }
  // Still owned by this region: pass it with UnixChannel::Send (which does not take ownership).
  int fd() const { return fd_; }

 private:
  SharedRegion(void* base, size_t size, int fd) : base_(base), size_(size), fd_(fd) {}
  void Reset();

  void* base_ = nullptr;
  size_t size_ = 0;
  int fd_ = -1;
};

}  // namespace ultracc::shm
