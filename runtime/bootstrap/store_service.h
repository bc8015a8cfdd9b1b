// The gRPC Store service (proto/store.proto) over a KvStore, refusing calls without the token.
#pragma once

#include <string>

#include "runtime/bootstrap/kv_store.h"
#include "store.grpc.pb.h"

namespace ultracc::bootstrap {

// Thread-safe: gRPC calls handlers from its own threads; all state is in the KvStore.
class StoreService final : public proto::Store::Service {
 public:
  StoreService(KvStore* store, std::string token) : store_(store), token_(std::move(token)) {}

  grpc::Status Put(grpc::ServerContext* context, const proto::PutRequest* request,
                   proto::PutReply* reply) override;
  grpc::Status Get(grpc::ServerContext* context, const proto::GetRequest* request,
                   proto::GetReply* reply) override;

 private:
  KvStore* store_;
  const std::string token_;
};

}  // namespace ultracc::bootstrap
