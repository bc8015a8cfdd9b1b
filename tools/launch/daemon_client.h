// A NodeDaemon client that attaches the job token and a deadline to every call.
#pragma once

#include <functional>
#include <mutex>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "daemon.grpc.pb.h"

namespace ultracc::launch {

// Thread-safe, like the stub it wraps.
class DaemonClient {
 public:
  DaemonClient(std::string address, std::string token);

  const std::string& address() const { return address_; }

  // Waits (up to `deadline`) for the daemon to answer.
  absl::StatusOr<proto::HealthReply> Health(absl::Time deadline);
  absl::StatusOr<proto::LaunchRanksReply> LaunchRanks(const proto::JobSpec& job, int node_rank,
                                                      absl::Time deadline);
  absl::StatusOr<int> SignalRanks(const std::string& job_id, int signal, absl::Time deadline);
  absl::StatusOr<proto::RankStatusReply> RankStatus(const std::string& job_id,
                                                    absl::Time deadline);
  // Which collective each rank of `job_id` (empty: the daemon's job) called; see daemon.proto.
  absl::StatusOr<proto::JobStatusReply> JobStatus(const std::string& job_id, absl::Time deadline);
  absl::Status Shutdown(absl::Duration grace, absl::Time deadline);
  // Streams the job's rank events to `on_event` until every rank of the node exited. Returns
  // Cancelled after Cancel() and Unavailable if the daemon went away.
  absl::Status WatchRanks(const std::string& job_id,
                          const std::function<void(const proto::RankEvent&)>& on_event);
  // Ends a running WatchRanks.
  void CancelWatch();

 private:
  std::string address_;
  std::string token_;
  std::unique_ptr<proto::NodeDaemon::Stub> stub_;
  std::mutex watch_mu_;
  grpc::ClientContext* watch_context_ = nullptr;  // guarded by watch_mu_
  bool watch_cancelled_ = false;                  // guarded by watch_mu_
};

}  // namespace ultracc::launch
