// The checks a LaunchRanks request (proto/daemon.proto) passes before a daemon starts anything:
// every field it trusts is in range, so a malformed or hostile request is refused with a message
// instead of sizing tables, naming sockets or forking from unchecked values. Kept apart from the
// gRPC service so that it can be tested and fuzzed on its own.
#pragma once

#include "absl/status/statusor.h"
#include "daemon.pb.h"
#include "runtime/config.h"

namespace ultracc::daemon {

// The largest job a daemon accepts (the CLI's limits).
inline constexpr int kMaxNodes = 4096;
inline constexpr int kMaxChipsPerNode = 1024;

// InvalidArgument naming the field and its value, or the job's settings (its environment over the
// daemon's). The transport's name is the caller's to check against the transports it has.
absl::StatusOr<Config> CheckLaunchRequest(const proto::LaunchRanksRequest& request);

}  // namespace ultracc::daemon
