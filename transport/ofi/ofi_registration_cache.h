// Memory registrations of the ofi transport, made once per region and reused by every operation
// that falls inside it.
//
// Providers that set FI_MR_LOCAL (efa, verbs) need a descriptor for every buffer they touch.
// Registering per operation would pin and unpin pages on the critical path, so callers register
// whole regions (an arena) up front with Register(); a buffer outside every registered region is
// registered once, rounded out to whole pages, and kept until the cache is destroyed. Registrations
// are never dropped early: a region must stay mapped while the transport lives.
#pragma once

#include <rdma/fabric.h>
#include <rdma/fi_domain.h>

#include <cstddef>
#include <cstdint>
#include <map>  // multimap: regions may share a start address

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace ultracc::transport::ofi {

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
  // Registers [base, base + bytes) unless a registered region already covers it.
  absl::Status Register(const void* base, size_t bytes);
  // The descriptor covering [data, data + bytes), registering its pages on a miss; nullptr when
  // registration is disabled or the range is empty.
  absl::StatusOr<void*> Describe(const void* data, size_t bytes);
  // Number of fi_mr_reg calls made so far.
  size_t registrations() const;

 private:
  struct Region {
    uintptr_t end;
    fid_mr* mr;
  };
  fid_mr* FindLocked(uintptr_t begin, uintptr_t end) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::StatusOr<fid_mr*> RegisterLocked(uintptr_t begin, uintptr_t end)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  fid_domain* const domain_;
  fid_ep* const endpoint_;
  const uint64_t mr_mode_;
  const bool enabled_;
  mutable absl::Mutex mutex_;
  std::multimap<uintptr_t, Region> regions_ ABSL_GUARDED_BY(mutex_);  // by start address
  uint64_t next_key_ ABSL_GUARDED_BY(mutex_) = 1;
  size_t registrations_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace ultracc::transport::ofi
