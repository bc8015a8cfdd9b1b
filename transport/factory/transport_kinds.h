// The names OpenTransport accepts, apart from the factory so that configuration checks (the
// environment, a daemon's launch request, the command line) need no transport code to validate a
// name.
#pragma once

#include <array>
#include <string>

#include "absl/algorithm/container.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace ultracc::transport {

inline constexpr std::array<absl::string_view, 4> kTransportKinds = {"auto", "tcp", "ofi", "shm"};

// For messages: "auto, tcp, ofi, shm".
inline std::string TransportKinds() { return absl::StrJoin(kTransportKinds, ", "); }

inline bool IsTransportKind(absl::string_view kind) {
  return absl::c_linear_search(kTransportKinds, kind);
}

}  // namespace ultracc::transport
