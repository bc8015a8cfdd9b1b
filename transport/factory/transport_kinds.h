// The names OpenTransport accepts, apart from the factory so that configuration checks (the
// environment, a daemon's launch request) need no transport code to validate a name.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace ultracc::transport {

// For messages: "auto, tcp, ofi, shm".
inline std::string TransportKinds() { return "auto, tcp, ofi, shm"; }

inline bool IsTransportKind(absl::string_view kind) {
  return kind == "auto" || kind == "tcp" || kind == "ofi" || kind == "shm";
}

}  // namespace ultracc::transport
