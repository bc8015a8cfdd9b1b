// A Store reached over gRPC (a daemon's, or the rendezvous of a unique id's creator).
#pragma once

#include <memory>
#include <string>

#include "runtime/bootstrap/store.h"
#include "store.grpc.pb.h"

namespace ultracc::bootstrap {

// Thread-safe, like the gRPC stub it wraps.
class StoreClient final : public Store {
 public:
  // `address` is "host:port"; `token` is attached to every call.
  StoreClient(const std::string& address, std::string token);

  absl::Status Put(absl::string_view key, absl::string_view value) override;
  absl::StatusOr<std::string> Get(absl::string_view key, absl::Time deadline) override;

 private:
  std::string address_;
  std::string token_;
  std::unique_ptr<proto::Store::Stub> stub_;
};

}  // namespace ultracc::bootstrap
