// An in-memory rendezvous store with blocking gets; the state behind every Store service.
#pragma once

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "runtime/bootstrap/store.h"

namespace ultracc::bootstrap {

// Thread-safe: any thread may call any method.
class KvStore final : public Store {
 public:
  absl::Status Put(absl::string_view key, absl::string_view value) override;
  absl::StatusOr<std::string> Get(absl::string_view key, absl::Time deadline) override;
  // Wakes every blocked Get with Unavailable, and fails later ones (used on shutdown).
  void Close();

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::string> values_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace ultracc::bootstrap
