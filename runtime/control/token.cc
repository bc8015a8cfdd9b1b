// Token creation and checking; see token.h.
#include "runtime/control/token.h"

#include <sys/random.h>

#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/time/clock.h"

namespace ultracc::control {

std::string NewToken() {
  uint8_t bytes[16];
  size_t got = 0;
  while (got < sizeof(bytes)) {
    ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

grpc::Status CheckToken(const grpc::ServerContext& context, absl::string_view token) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kTokenMetadataKey);
  if (it == metadata.end()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "call refused: it carries no job token (metadata 'ultracc-token')");
  }
  absl::string_view presented(it->second.data(), it->second.size());
  // Compare without an early exit so timing does not reveal a matching prefix.
  bool equal = presented.size() == token.size();
  unsigned diff = 0;
  for (size_t i = 0; i < presented.size() && i < token.size(); ++i) diff |= presented[i] ^ token[i];
  if (!equal || diff != 0) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "call refused: wrong job token");
  }
  return grpc::Status::OK;
}

void PrepareCall(grpc::ClientContext* context, absl::string_view token, absl::Time deadline) {
  context->AddMetadata(kTokenMetadataKey, std::string(token));
  context->set_deadline(absl::ToChronoTime(deadline));
}

}  // namespace ultracc::control
