// Region lookup and fi_mr_reg with the provider's FI_MR_* modes; see ofi_registration_cache.h.
#include "transport/ofi/ofi_registration_cache.h"

#include <rdma/fi_endpoint.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "transport/ofi/ofi_fabric.h"

namespace ultracc::transport::ofi {
namespace {

constexpr uintptr_t kPage = 4096;

}  // namespace

RegistrationCache::RegistrationCache(fid_domain* domain, fid_ep* endpoint, uint64_t mr_mode,
                                     bool always)
    : domain_(domain),
      endpoint_(endpoint),
      mr_mode_(mr_mode),
      enabled_(always || (mr_mode & FI_MR_LOCAL) != 0) {}

RegistrationCache::~RegistrationCache() {
  absl::MutexLock lock(&mutex_);
  for (auto& [begin, region] : regions_) fi_close(&region.mr->fid);
}

absl::Status RegistrationCache::Register(const void* base, size_t bytes) {
  if (!enabled_ || bytes == 0) return absl::OkStatus();
  const uintptr_t begin = reinterpret_cast<uintptr_t>(base);
  if (begin + bytes < begin) {
    return absl::InvalidArgumentError(absl::StrCat("ofi: region of ", bytes, " bytes at 0x",
                                                   absl::Hex(begin), " wraps around"));
  }
  absl::MutexLock lock(&mutex_);
  uintptr_t& end = stable_[begin];
  end = std::max<uintptr_t>(end, begin + bytes);
  return absl::OkStatus();
}

absl::StatusOr<RegistrationCache::Descriptor> RegistrationCache::Describe(const void* data,
                                                                          size_t bytes) {
  Descriptor result;
  if (!enabled_ || bytes == 0) return result;
  const uintptr_t begin = reinterpret_cast<uintptr_t>(data);
  absl::MutexLock lock(&mutex_);
  if (fid_mr* mr = FindLocked(begin, begin + bytes)) {
    result.desc = fi_mr_desc(mr);
    return result;
  }
  // Inside a stable region the registration is kept for later operations.
  bool stable = false;
  for (auto it = stable_.upper_bound(begin); it != stable_.begin() && !stable;) {
    --it;
    stable = it->second >= begin + bytes;
  }
  absl::StatusOr<fid_mr*> registered = RegisterLocked(
      begin & ~(kPage - 1), (begin + bytes + kPage - 1) & ~(kPage - 1), /*keep=*/stable);
  if (!registered.ok()) return registered.status();
  if (!stable) result.owned.reset(*registered);
  result.desc = fi_mr_desc(*registered);
  return result;
}

size_t RegistrationCache::registrations() const {
  absl::MutexLock lock(&mutex_);
  return registrations_;
}

fid_mr* RegistrationCache::FindLocked(uintptr_t begin, uintptr_t end) const {
  // Regions may overlap, so every region starting at or before `begin` is a candidate; there are
  // few (one per arena plus stray buffers).
  for (auto it = regions_.upper_bound(begin); it != regions_.begin();) {
    --it;
    if (it->second.end >= end) return it->second.mr;
  }
  return nullptr;
}

absl::StatusOr<fid_mr*> RegistrationCache::RegisterLocked(uintptr_t begin, uintptr_t end,
                                                          bool keep) {
  // Only local access is asked for: the transport moves data with tagged messages, never RMA, so
  // FI_MR_VIRT_ADDR (remote addressing) changes nothing here; keys matter only without
  // FI_MR_PROV_KEY, where the caller must choose unique ones.
  const uint64_t key = (mr_mode_ & FI_MR_PROV_KEY) ? 0 : next_key_++;
  fid_mr* mr = nullptr;
  int rc = fi_mr_reg(domain_, reinterpret_cast<const void*>(begin), end - begin, FI_SEND | FI_RECV,
                     0, key, 0, &mr, nullptr);
  if (rc == 0 && (mr_mode_ & FI_MR_ENDPOINT)) {
    rc = fi_mr_bind(mr, &endpoint_->fid, 0);
    if (rc == 0) rc = fi_mr_enable(mr);
  }
  if (rc != 0) {
    if (mr) fi_close(&mr->fid);
    return absl::ResourceExhaustedError(absl::StrCat("ofi: cannot register ", end - begin,
                                                     " bytes at 0x", absl::Hex(begin), ": ",
                                                     FiErrorText(rc)));
  }
  if (keep) regions_.emplace(begin, Region{end, mr});
  ++registrations_;
  return mr;
}

}  // namespace ultracc::transport::ofi
