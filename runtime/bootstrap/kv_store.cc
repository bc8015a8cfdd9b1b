// In-memory rendezvous store; see kv_store.h.
#include "runtime/bootstrap/kv_store.h"

#include "absl/strings/str_cat.h"

namespace ultracc::bootstrap {

absl::Status KvStore::Put(absl::string_view key, absl::string_view value) {
  absl::MutexLock lock(&mu_);
  if (closed_) return absl::UnavailableError(absl::StrCat("store closed; put of '", key, "' lost"));
  values_[key] = std::string(value);
  return absl::OkStatus();
}

absl::StatusOr<std::string> KvStore::Get(absl::string_view key, absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto ready = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return closed_ || values_.contains(key);
  };
  if (!mu_.AwaitWithDeadline(absl::Condition(&ready), deadline)) {
    return absl::DeadlineExceededError(
        absl::StrCat("store key '", key, "' did not appear before the deadline"));
  }
  if (closed_) {
    return absl::UnavailableError(absl::StrCat("store closed while waiting for '", key, "'"));
  }
  return values_.find(key)->second;
}

void KvStore::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

}  // namespace ultracc::bootstrap
