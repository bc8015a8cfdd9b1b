// libFuzzer target: control-plane request validation. The bytes are a serialized LaunchRanks
// request as a client could send it to a daemon (proto/daemon.proto); CheckLaunchRequest
// (runtime/daemon/launch_request.h) must refuse or accept it without crashing, and what it accepts
// must be in the ranges the daemon then relies on.
#include <cstddef>
#include <cstdint>

#include "daemon.pb.h"
#include "google/protobuf/stubs/logging.h"
#include "runtime/daemon/launch_request.h"

// Most inputs carry invalid UTF-8 in string fields; protobuf would log each one.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ultracc::proto::LaunchRanksRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  absl::StatusOr<ultracc::Config> config = ultracc::daemon::CheckLaunchRequest(request);
  if (!config.ok()) return 0;
  const auto& job = request.job();
  const bool in_range =
      job.nodes() >= 1 && job.nodes() <= ultracc::daemon::kMaxNodes && job.chips_per_node() >= 1 &&
      job.chips_per_node() <= ultracc::daemon::kMaxChipsPerNode && request.node_rank() >= 0 &&
      request.node_rank() < job.nodes() && job.daemon_addresses_size() == job.nodes() &&
      !job.job_id().empty() && config->timeout > absl::ZeroDuration();
  if (!in_range) __builtin_trap();
  return 0;
}
