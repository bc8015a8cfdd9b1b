// NodeDaemon client; see daemon_client.h.
#include "tools/launch/daemon_client.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "runtime/control/status_convert.h"
#include "runtime/control/token.h"

namespace ultracc::launch {

DaemonClient::DaemonClient(std::string address, std::string token)
    : address_(std::move(address)),
      token_(std::move(token)),
      stub_(proto::NodeDaemon::NewStub(
          grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()))) {}

absl::StatusOr<proto::HealthReply> DaemonClient::Health(absl::Time deadline) {
  grpc::ClientContext context;
  control::PrepareCall(&context, token_, deadline);
  context.set_wait_for_ready(true);
  proto::HealthReply reply;
  grpc::Status s = stub_->Health(&context, proto::HealthRequest(), &reply);
  if (!s.ok()) return control::ToAbsl(s, absl::StrCat("health of ultraccd at ", address_));
  return reply;
}

absl::StatusOr<proto::LaunchRanksReply> DaemonClient::LaunchRanks(const proto::JobSpec& job,
                                                                  int node_rank,
                                                                  absl::Time deadline) {
  grpc::ClientContext context;
  control::PrepareCall(&context, token_, deadline);
  proto::LaunchRanksRequest request;
  *request.mutable_job() = job;
  request.set_node_rank(node_rank);
  proto::LaunchRanksReply reply;
  grpc::Status s = stub_->LaunchRanks(&context, request, &reply);
  if (!s.ok()) {
    return control::ToAbsl(s, absl::StrCat("launching node ", node_rank, " on ", address_));
  }
  return reply;
}

absl::StatusOr<int> DaemonClient::SignalRanks(const std::string& job_id, int signal,
                                              absl::Time deadline) {
  grpc::ClientContext context;
  control::PrepareCall(&context, token_, deadline);
  proto::SignalRanksRequest request;
  request.set_job_id(job_id);
  request.set_signal(signal);
  proto::SignalRanksReply reply;
  grpc::Status s = stub_->SignalRanks(&context, request, &reply);
  if (!s.ok()) return control::ToAbsl(s, absl::StrCat("signalling ranks on ", address_));
  return reply.signalled();
}

absl::StatusOr<proto::RankStatusReply> DaemonClient::RankStatus(const std::string& job_id,
                                                                absl::Time deadline) {
  grpc::ClientContext context;
  control::PrepareCall(&context, token_, deadline);
  proto::RankStatusRequest request;
  request.set_job_id(job_id);
  proto::RankStatusReply reply;
  grpc::Status s = stub_->RankStatus(&context, request, &reply);
  if (!s.ok()) return control::ToAbsl(s, absl::StrCat("rank status on ", address_));
  return reply;
}

absl::StatusOr<proto::JobStatusReply> DaemonClient::JobStatus(const std::string& job_id,
                                                              absl::Time deadline) {
  grpc::ClientContext context;
  control::PrepareCall(&context, token_, deadline);
  proto::JobStatusRequest request;
  request.set_job_id(job_id);
  proto::JobStatusReply reply;
  grpc::Status s = stub_->JobStatus(&context, request, &reply);
  if (!s.ok()) return control::ToAbsl(s, absl::StrCat("job status from ultraccd at ", address_));
  return reply;
}

absl::Status DaemonClient::Shutdown(absl::Duration grace, absl::Time deadline) {
  grpc::ClientContext context;
  control::PrepareCall(&context, token_, deadline);
  proto::ShutdownRequest request;
  request.set_grace_ms(static_cast<int32_t>(absl::ToInt64Milliseconds(grace)));
  proto::ShutdownReply reply;
  return control::ToAbsl(stub_->Shutdown(&context, request, &reply),
                         absl::StrCat("shutting down ultraccd at ", address_));
}

absl::Status DaemonClient::WatchRanks(
    const std::string& job_id, const std::function<void(const proto::RankEvent&)>& on_event) {
  grpc::ClientContext context;
  // The stream lasts as long as the job; the deadline only bounds a forgotten watcher.
  control::PrepareCall(&context, token_, absl::Now() + absl::Hours(24 * 365));
  {
    std::lock_guard<std::mutex> lock(watch_mu_);
    if (watch_cancelled_) return absl::CancelledError("watch cancelled");
    watch_context_ = &context;
  }
  proto::WatchRanksRequest request;
  request.set_job_id(job_id);
  std::unique_ptr<grpc::ClientReader<proto::RankEvent>> reader =
      stub_->WatchRanks(&context, request);
  proto::RankEvent event;
  while (reader->Read(&event)) on_event(event);
  grpc::Status s = reader->Finish();
  {
    std::lock_guard<std::mutex> lock(watch_mu_);
    watch_context_ = nullptr;
  }
  return control::ToAbsl(s, absl::StrCat("watching ranks on ", address_));
}

void DaemonClient::CancelWatch() {
  std::lock_guard<std::mutex> lock(watch_mu_);
  watch_cancelled_ = true;
  if (watch_context_ != nullptr) watch_context_->TryCancel();
}

}  // namespace ultracc::launch
