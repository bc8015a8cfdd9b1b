// NodeDaemon service handlers; see control_service.h.
#include "runtime/daemon/control_service.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runtime/control/status_convert.h"
#include "runtime/control/token.h"
#include "runtime/daemon/launch_request.h"
#include "runtime/log.h"
#include "transport/factory/transport_kinds.h"

namespace ultracc::daemon {
namespace {

// Torchrun-style and ULTRACC_* identity of one rank.
std::map<std::string, std::string> RankEnvironment(const proto::JobSpec& job, int node_rank,
                                                   int local_rank, const std::string& socket,
                                                   const std::string& token) {
  const int c = job.chips_per_node();
  const std::string rank = absl::StrCat(node_rank * c + local_rank);
  const std::string world = absl::StrCat(job.nodes() * c);
  std::map<std::string, std::string> env(job.env().begin(), job.env().end());
  env["ULTRACC_RANK"] = rank;
  env["ULTRACC_WORLD_SIZE"] = world;
  env["ULTRACC_LOCAL_RANK"] = absl::StrCat(local_rank);
  env["ULTRACC_LOCAL_SIZE"] = absl::StrCat(c);
  env["ULTRACC_NODE_RANK"] = absl::StrCat(node_rank);
  env["ULTRACC_DAEMON_SOCKET"] = socket;
  env["ULTRACC_JOB_ID"] = job.job_id();
  // The first daemon hosts the job's rendezvous store (communicators split off the world).
  env["ULTRACC_STORE_ADDRESS"] = job.daemon_addresses(0);
  env["ULTRACC_JOB_TOKEN"] = token;
  env["RANK"] = rank;
  env["WORLD_SIZE"] = world;
  env["LOCAL_RANK"] = absl::StrCat(local_rank);
  env["LOCAL_WORLD_SIZE"] = absl::StrCat(c);
  env["GROUP_RANK"] = absl::StrCat(node_rank);
  return env;
}

}  // namespace

ControlService::~ControlService() { StopJob(absl::Seconds(1)); }

grpc::Status ControlService::LaunchRanks(grpc::ServerContext* context,
                                         const proto::LaunchRanksRequest* request,
                                         proto::LaunchRanksReply* reply) {
  if (auto s = control::CheckToken(*context, token_); !s.ok()) return s;
  absl::StatusOr<Config> config = CheckLaunchRequest(*request);
  if (!config.ok()) return control::ToGrpc(config.status());
  const proto::JobSpec& job = request->job();
  const int node = request->node_rank();
  if (!transport::IsTransportKind(job.transport())) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("transport '", job.transport(), "' is unknown; valid: ",
                                     transport::TransportKinds()));
  }

  absl::MutexLock lock(&mu_);
  if (supervisor_ && !supervisor_->AllExited()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("node ", node_rank_, " still runs job ", job_id_));
  }
  job_.reset();
  // The first daemon hosts the job's rendezvous store.
  store_ = std::make_unique<bootstrap::StoreClient>(job.daemon_addresses(0), token_);
  NodeJobOptions options;
  options.job = job;
  options.node_rank = node;
  options.token = token_;
  options.config = *config;
  options.store = store_.get();
  absl::StatusOr<std::unique_ptr<NodeJob>> node_job = NodeJob::Start(std::move(options));
  if (!node_job.ok()) return control::ToGrpc(node_job.status());

  std::vector<RankLaunch> launches;
  for (int l = 0; l < job.chips_per_node(); ++l) {
    RankLaunch launch;
    launch.rank = node * job.chips_per_node() + l;
    launch.program = job.program();
    launch.args.assign(job.args().begin(), job.args().end());
    launch.env = RankEnvironment(job, node, l, (*node_job)->socket_name(), token_);
    launch.working_directory = job.working_directory();
    launches.push_back(std::move(launch));
  }
  auto supervisor = std::make_shared<RankSupervisor>();
  absl::StatusOr<std::vector<pid_t>> pids = supervisor->Start(launches);
  if (!pids.ok()) return control::ToGrpc(pids.status());
  for (pid_t pid : *pids) reply->add_pids(pid);
  job_ = *std::move(node_job);
  supervisor_ = std::move(supervisor);
  job_id_ = job.job_id();
  node_rank_ = node;
  LogInfo(absl::StrCat("node ", node, ": started ", pids->size(), " ranks of job ", job_id_));
  return grpc::Status::OK;
}

grpc::Status ControlService::FindJob(const std::string& job_id, RankSupervisor** supervisor) {
  if (!supervisor_ || job_id != job_id_) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, absl::StrCat("no job '", job_id, "' here"));
  }
  *supervisor = supervisor_.get();
  return grpc::Status::OK;
}

grpc::Status ControlService::SignalRanks(grpc::ServerContext* context,
                                         const proto::SignalRanksRequest* request,
                                         proto::SignalRanksReply* reply) {
  if (auto s = control::CheckToken(*context, token_); !s.ok()) return s;
  if (request->signal() <= 0 || request->signal() >= 65) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("signal ", request->signal(), " is not a signal number"));
  }
  absl::MutexLock lock(&mu_);
  RankSupervisor* supervisor = nullptr;
  if (auto s = FindJob(request->job_id(), &supervisor); !s.ok()) return s;
  reply->set_signalled(supervisor->Signal(request->signal()));
  return grpc::Status::OK;
}

grpc::Status ControlService::RankStatus(grpc::ServerContext* context,
                                        const proto::RankStatusRequest* request,
                                        proto::RankStatusReply* reply) {
  if (auto s = control::CheckToken(*context, token_); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  RankSupervisor* supervisor = nullptr;
  if (auto s = FindJob(request->job_id(), &supervisor); !s.ok()) return s;
  for (auto& state : supervisor->States()) *reply->add_ranks() = std::move(state);
  return grpc::Status::OK;
}

grpc::Status ControlService::JobStatus(grpc::ServerContext* context,
                                       const proto::JobStatusRequest* request,
                                       proto::JobStatusReply* reply) {
  if (auto s = control::CheckToken(*context, token_); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  RankSupervisor* supervisor = nullptr;
  const std::string& job_id = request->job_id().empty() ? job_id_ : request->job_id();
  if (auto s = FindJob(job_id, &supervisor); !s.ok()) return s;
  if (!job_) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("job '", job_id, "' is stopping on node ", node_rank_));
  }
  *reply = job_->Progress();
  std::map<int, proto::RankState> states;
  for (auto& state : supervisor->States()) states[state.rank()] = std::move(state);
  for (proto::RankProgress& rank : *reply->mutable_ranks()) {
    auto it = states.find(rank.rank());
    if (it == states.end()) continue;
    rank.set_pid(it->second.pid());
    rank.set_running(it->second.running());
  }
  return grpc::Status::OK;
}

grpc::Status ControlService::WatchRanks(grpc::ServerContext* context,
                                        const proto::WatchRanksRequest* request,
                                        grpc::ServerWriter<proto::RankEvent>* writer) {
  if (auto s = control::CheckToken(*context, token_); !s.ok()) return s;
  std::shared_ptr<RankSupervisor> supervisor;
  {
    absl::MutexLock lock(&mu_);
    RankSupervisor* found = nullptr;
    if (auto s = FindJob(request->job_id(), &found); !s.ok()) return s;
    supervisor = supervisor_;
  }
  size_t next = 0;
  bool finished = false;
  while (!finished) {
    if (context->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled");
    std::vector<proto::RankEvent> events;
    next = supervisor->ReadEvents(next, absl::Now() + absl::Milliseconds(200), &events, &finished);
    for (const auto& e : events) {
      if (!writer->Write(e)) return grpc::Status(grpc::StatusCode::CANCELLED, "watcher left");
    }
  }
  return grpc::Status::OK;
}

grpc::Status ControlService::Health(grpc::ServerContext* context,
                                    const proto::HealthRequest* request,
                                    proto::HealthReply* reply) {
  if (auto s = control::CheckToken(*context, token_); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  reply->set_node_rank(node_rank_);
  reply->set_pid(getpid());
  reply->set_live_ranks(supervisor_ ? supervisor_->LiveRanks() : 0);
  reply->set_version("0.1.0");
  return grpc::Status::OK;
}

grpc::Status ControlService::Shutdown(grpc::ServerContext* context,
                                      const proto::ShutdownRequest* request,
                                      proto::ShutdownReply* reply) {
  if (auto s = control::CheckToken(*context, token_); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  shutdown_requested_ = true;
  if (request->grace_ms() > 0) shutdown_grace_ = absl::Milliseconds(request->grace_ms());
  return grpc::Status::OK;
}

bool ControlService::AwaitShutdownRequest(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithDeadline(absl::Condition(&shutdown_requested_), deadline);
}

absl::Duration ControlService::shutdown_grace() {
  absl::MutexLock lock(&mu_);
  return shutdown_grace_;
}

void ControlService::StopJob(absl::Duration grace) {
  std::shared_ptr<RankSupervisor> supervisor;
  std::unique_ptr<NodeJob> job;
  {
    absl::MutexLock lock(&mu_);
    supervisor = supervisor_;
    job = std::move(job_);
  }
  if (supervisor) supervisor->Stop(grace);
  job.reset();
}

}  // namespace ultracc::daemon
