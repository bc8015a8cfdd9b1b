// The rendezvous store interface used to bootstrap communicators: ranks publish their addresses
// under keys and read each other's. Implementations: KvStore (in memory) and StoreClient (gRPC).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ultracc::bootstrap {

class Store {
 public:
  virtual ~Store() = default;
  // Sets `key` to `value`, replacing any earlier value.
  virtual absl::Status Put(absl::string_view key, absl::string_view value) = 0;
  // Waits until `key` exists, then returns its value; DeadlineExceeded naming the key otherwise.
  virtual absl::StatusOr<std::string> Get(absl::string_view key, absl::Time deadline) = 0;
};

}  // namespace ultracc::bootstrap
