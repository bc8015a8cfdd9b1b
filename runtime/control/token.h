// The job secret token: made by the launcher, carried by every control-plane call, checked by
// every service.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"

namespace ultracc::control {

inline constexpr char kTokenMetadataKey[] = "ultracc-token";

// A fresh random token (32 hex digits from the kernel's random source).
std::string NewToken();

// OK when the call carries `token`; UNAUTHENTICATED naming the missing or wrong token otherwise.
grpc::Status CheckToken(const grpc::ServerContext& context, absl::string_view token);

// Prepares a client call: attaches the token and sets the deadline.
void PrepareCall(grpc::ClientContext* context, absl::string_view token, absl::Time deadline);

}  // namespace ultracc::control
