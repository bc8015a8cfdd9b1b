// Memory registrations of the ofi transport, made once per region and reused by every operation
// that falls inside it.
//
// Providers that set FI_MR_LOCAL (efa, verbs) need a descriptor for every buffer they touch.
// Registering per operation would pin and unpin pages on the critical path, so callers declare
// stable regions (an arena: mapped, with the same pages, while the transport lives) with
// Register(). A buffer inside one is registered on first use, page-rounded, and the registration
// kept until the cache is destroyed; the region itself is not pinned whole, since arenas are
// large and sparse. A buffer outside every stable region is registered for its operation only and
// released when that operation ends: kept longer, a registration would pin the pages of memory
// the caller may free and reuse at the same address, and a later operation there would move
// stale pages.
#pragma once

#include <rdma/fabric.h>
#include <rdma/fi_domain.h>

#include <cstddef>
#include <cstdint>
#include <map>  // multimap: regions may share a start address
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace ultracc::transport::ofi {

struct MrCloser {
  void operator()(fid_mr* mr) const { fi_close(&mr->fid); }
};

// Thread-safe: the progress thread looks descriptors up while callers register arenas.
class RegistrationCache {
 public:
  // `mr_mode` is what the provider asks for; `always` registers even without FI_MR_LOCAL (so the
  // path can be exercised on providers that do not need it). With FI_MR_ENDPOINT, regions are
  // bound to `endpoint`.
  RegistrationCache(fid_domain* domain, fid_ep* endpoint, uint64_t mr_mode, bool always);
  ~RegistrationCache();
  RegistrationCache(const RegistrationCache&) = delete;
  RegistrationCache& operator=(const RegistrationCache&) = delete;

  // Whether operations need descriptors at all.
  bool enabled() const { return enabled_; }
  // Declares [base, base + bytes) stable (see above).
  absl::Status Register(const void* base, size_t bytes);
  // The descriptor covering [data, data + bytes): from a kept registration (made now if the range
  // lies in a stable region), or from a registration of its pages for this one operation, which
  // `owned` then holds (the caller keeps it until the provider is done with the buffer). desc is
  // nullptr when registration is disabled or the range is empty.
  struct Descriptor {
    void* desc = nullptr;
    std::unique_ptr<fid_mr, MrCloser> owned;
  };
  absl::StatusOr<Descriptor> Describe(const void* data, size_t bytes);
  // Number of fi_mr_reg calls made so far.
  size_t registrations() const;

 private:
  struct Region {
    uintptr_t end;
    fid_mr* mr;
  };
  fid_mr* FindLocked(uintptr_t begin, uintptr_t end) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Registers [begin, end); kept as a region when `keep`, else handed to the caller.
  absl::StatusOr<fid_mr*> RegisterLocked(uintptr_t begin, uintptr_t end, bool keep)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  fid_domain* const domain_;
  fid_ep* const endpoint_;
  const uint64_t mr_mode_;
  const bool enabled_;
  mutable absl::Mutex mutex_;
  std::multimap<uintptr_t, Region> regions_ ABSL_GUARDED_BY(mutex_);  // kept, by start address
  std::map<uintptr_t, uintptr_t> stable_ ABSL_GUARDED_BY(mutex_);     // begin -> end
  uint64_t next_key_ ABSL_GUARDED_BY(mutex_) = 1;
  size_t registrations_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace ultracc::transport::ofi
