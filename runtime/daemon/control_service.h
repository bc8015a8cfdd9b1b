// The NodeDaemon gRPC service (proto/daemon.proto): launches and supervises this node's ranks and
// owns the job's node engine. Thin: the work is in RankSupervisor and NodeJob.
#pragma once

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "daemon.grpc.pb.h"
#include "runtime/bootstrap/store_client.h"
#include "runtime/daemon/node_job.h"
#include "runtime/daemon/rank_supervisor.h"

namespace ultracc::daemon {

// Thread-safe: gRPC runs handlers on its own threads; job state is under mu_.
class ControlService final : public proto::NodeDaemon::Service {
 public:
  explicit ControlService(std::string token) : token_(std::move(token)) {}
  ~ControlService() override;

  grpc::Status LaunchRanks(grpc::ServerContext* context, const proto::LaunchRanksRequest* request,
                           proto::LaunchRanksReply* reply) override;
  grpc::Status SignalRanks(grpc::ServerContext* context, const proto::SignalRanksRequest* request,
                           proto::SignalRanksReply* reply) override;
  grpc::Status RankStatus(grpc::ServerContext* context, const proto::RankStatusRequest* request,
                          proto::RankStatusReply* reply) override;
  grpc::Status JobStatus(grpc::ServerContext* context, const proto::JobStatusRequest* request,
                         proto::JobStatusReply* reply) override;
  grpc::Status WatchRanks(grpc::ServerContext* context, const proto::WatchRanksRequest* request,
                          grpc::ServerWriter<proto::RankEvent>* writer) override;
  grpc::Status Health(grpc::ServerContext* context, const proto::HealthRequest* request,
                      proto::HealthReply* reply) override;
  grpc::Status Shutdown(grpc::ServerContext* context, const proto::ShutdownRequest* request,
                        proto::ShutdownReply* reply) override;

  // Waits until a Shutdown call arrived or `deadline` passed; true if it arrived.
  bool AwaitShutdownRequest(absl::Time deadline);
  // Stops the ranks (SIGTERM, SIGKILL after `grace`) and the job's engine.
  void StopJob(absl::Duration grace);
  // The grace period the Shutdown call asked for.
  absl::Duration shutdown_grace();

 private:
  // The supervisor of `job_id`, or NOT_FOUND.
  grpc::Status FindJob(const std::string& job_id, RankSupervisor** supervisor);

  const std::string token_;
  absl::Mutex mu_;
  std::string job_id_ ABSL_GUARDED_BY(mu_);
  int node_rank_ ABSL_GUARDED_BY(mu_) = -1;
  std::unique_ptr<bootstrap::StoreClient> store_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<NodeJob> job_ ABSL_GUARDED_BY(mu_);
  // Shared so that WatchRanks can keep reading after a newer job replaced it.
  std::shared_ptr<RankSupervisor> supervisor_ ABSL_GUARDED_BY(mu_);
  bool shutdown_requested_ ABSL_GUARDED_BY(mu_) = false;
  absl::Duration shutdown_grace_ ABSL_GUARDED_BY(mu_) = absl::Seconds(3);
};

}  // namespace ultracc::daemon
