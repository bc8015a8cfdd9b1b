// gRPC Store service; see store_service.h.
#include "runtime/bootstrap/store_service.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "runtime/control/status_convert.h"
#include "runtime/control/token.h"

namespace ultracc::bootstrap {
namespace {
// A Get without a deadline still ends, so an abandoned call cannot hold a thread forever.
constexpr absl::Duration kMaxGetWait = absl::Hours(1);
}  // namespace

grpc::Status StoreService::Put(grpc::ServerContext* context, const proto::PutRequest* request,
                               proto::PutReply* reply) {
  if (auto s = control::CheckToken(*context, token_); !s.ok()) return s;
  return control::ToGrpc(store_->Put(request->key(), request->value()));
}

grpc::Status StoreService::Get(grpc::ServerContext* context, const proto::GetRequest* request,
                               proto::GetReply* reply) {
  if (auto s = control::CheckToken(*context, token_); !s.ok()) return s;
  absl::Time deadline =
      std::min(absl::FromChrono(context->deadline()), absl::Now() + kMaxGetWait);
  // Wait in short slices so a cancelled call releases its thread promptly.
  while (true) {
    absl::Time slice_end = std::min(deadline, absl::Now() + absl::Milliseconds(200));
    absl::StatusOr<std::string> value = store_->Get(request->key(), slice_end);
    if (value.ok()) {
      reply->set_value(*std::move(value));
      return grpc::Status::OK;
    }
    if (!absl::IsDeadlineExceeded(value.status()) || slice_end >= deadline) {
      return control::ToGrpc(value.status());
    }
    if (context->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "get cancelled");
  }
}

}  // namespace ultracc::bootstrap
