// Large blocks ultraccMemAlloc hands out outside daemon mode, kept after ultraccMemFree for the
// next allocation of about the same size. Blocks of megabytes come from fresh mappings otherwise,
// and faulting their pages in again on every allocate/free cycle (a framework's per-step buffers)
// costs more than the collectives that use them. Small blocks go straight to the C heap.
#pragma once

#include <cstddef>
#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace ultracc::client {

class BlockCache {
 public:
  // Blocks of at least `min_block` bytes are tracked; at most `capacity` bytes wait for reuse.
  BlockCache(size_t min_block, size_t capacity) : min_block_(min_block), capacity_(capacity) {}
  ~BlockCache();
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // The one cache ultraccMemAlloc uses: blocks from 1 MiB, at most 1 GiB or 1/16 of the host's
  // memory waiting.
  static BlockCache& ForProcess();

  // 64-byte-aligned memory of at least `bytes`: a waiting block no more than twice that size, else
  // a new one.
  absl::StatusOr<void*> Allocate(size_t bytes);
  // Takes back a pointer from Allocate (it may wait for reuse) or any other heap pointer (freed).
  void Free(void* ptr);

  size_t waiting_bytes() const;

 private:
  const size_t min_block_, capacity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<void*, size_t> live_ ABSL_GUARDED_BY(mu_);  // large blocks handed out
  std::multimap<size_t, void*> waiting_ ABSL_GUARDED_BY(mu_);     // by size
  size_t waiting_bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ultracc::client
