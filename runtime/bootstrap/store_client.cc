// gRPC Store client; see store_client.h.
#include "runtime/bootstrap/store_client.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "runtime/control/status_convert.h"
#include "runtime/control/token.h"

namespace ultracc::bootstrap {
namespace {
constexpr absl::Duration kPutTimeout = absl::Seconds(30);
}  // namespace

StoreClient::StoreClient(const std::string& address, std::string token)
    : address_(address),
      token_(std::move(token)),
      stub_(proto::Store::NewStub(
          grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {}

absl::Status StoreClient::Put(absl::string_view key, absl::string_view value) {
  grpc::ClientContext context;
  control::PrepareCall(&context, token_, absl::Now() + kPutTimeout);
  context.set_wait_for_ready(true);  // the store's host may still be starting
  proto::PutRequest request;
  request.set_key(std::string(key));
  request.set_value(std::string(value));
  proto::PutReply reply;
  return control::ToAbsl(stub_->Put(&context, request, &reply),
                         absl::StrCat("store put of '", key, "' at ", address_));
}

absl::StatusOr<std::string> StoreClient::Get(absl::string_view key, absl::Time deadline) {
  grpc::ClientContext context;
  control::PrepareCall(&context, token_, deadline);
  context.set_wait_for_ready(true);
  proto::GetRequest request;
  request.set_key(std::string(key));
  proto::GetReply reply;
  grpc::Status status = stub_->Get(&context, request, &reply);
  if (!status.ok()) {
    return control::ToAbsl(status, absl::StrCat("store get of '", key, "' at ", address_));
  }
  return std::move(*reply.mutable_value());
}

}  // namespace ultracc::bootstrap
