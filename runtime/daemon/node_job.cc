// A job's node engine inside ultraccd; see node_job.h.
#include "runtime/daemon/node_job.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "collectives/datatype.h"
#include "rank.pb.h"
#include "runtime/engine/call_signature.h"
#include "runtime/engine/collective_call.h"
#include "runtime/engine/engine_chooser.h"
#include "runtime/engine/link_emulation.h"
#include "runtime/log.h"
#include "runtime/submission/operation.h"
#include "transport/factory/open_transport.h"

namespace ultracc::daemon {

using submission::OpCompletion;
using submission::OpDescriptor;
using submission::OpKind;
using submission::DescribeDescriptor;

NodeJob::NodeJob(NodeJobOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<NodeJob>> NodeJob::Start(NodeJobOptions options) {
  if (options.job.chips_per_node() < 1 || options.job.nodes() < 1) {
    return absl::InvalidArgumentError(absl::StrCat("job ", options.job.job_id(), " has ",
                                                   options.job.nodes(), " nodes of ",
                                                   options.job.chips_per_node(), " chips"));
  }
  std::unique_ptr<NodeJob> job(new NodeJob(std::move(options)));
  job->socket_name_ =
      absl::StrCat("ultraccd.", job->options_.job.job_id(), ".", job->options_.node_rank);
  auto listener = shm::UnixListener::Listen(job->socket_name_);
  if (!listener.ok()) return listener.status();
  job->listener_ = *std::move(listener);
  job->sessions_.resize(job->local_size());
  job->calls_.resize(job->local_size());
  PointToPointOptions p2p;
  p2p.node_rank = job->options_.node_rank;
  p2p.nodes = job->options_.job.nodes();
  p2p.chips_per_node = job->local_size();
  p2p.timeout = job->options_.config.timeout;
  job->p2p_ = std::make_unique<PointToPointRouter>(
      p2p, [j = job.get()](int local_rank, const OpDescriptor& d, const absl::Status& status) {
        j->Complete(d, {local_rank}, status);
      });
  job->acceptor_ = std::thread([j = job.get()] { j->AcceptLoop(); });
  job->engine_thread_ = std::thread([j = job.get()] { j->EngineLoop(); });
  return job;
}

NodeJob::~NodeJob() {
  std::vector<std::thread> pollers;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (auto& s : sessions_) {
      if (s) s->rings.completions.Close();
    }
    pollers.swap(pollers_);
    // Unblocks the engine thread if it waits on another node, connecting or in a collective.
    if (transport_) transport_->Abort(absl::CancelledError("ultraccd is stopping the job"));
  }
  if (acceptor_.joinable()) acceptor_.join();
  if (engine_thread_.joinable()) engine_thread_.join();
  for (auto& t : pollers) t.join();
  // After the transport was aborted: remote requests in flight are finished or failed.
  p2p_.reset();
}

absl::Status NodeJob::error() const {
  absl::MutexLock lock(&mu_);
  return error_;
}

proto::JobStatusReply NodeJob::Progress() const {
  proto::JobStatusReply reply;
  reply.set_job_id(options_.job.job_id());
  reply.set_node_rank(options_.node_rank);
  reply.set_nodes(options_.job.nodes());
  reply.set_chips_per_node(local_size());
  absl::MutexLock lock(&mu_);
  reply.set_engine_op(engine_op_);
  if (!error_.ok()) reply.set_error(std::string(error_.message()));
  const absl::Time now = absl::Now();
  // Ranks that share memory meet on the board, and the daemon sees only the collectives they hand
  // on to it: the board tells what each called last, answered once every rank posted it.
  std::vector<submission::BoardPost> posts(board_.valid() ? board_.ranks() : 0);
  uint64_t all_posted = ~uint64_t{0};
  for (size_t r = 0; r < posts.size(); ++r) {
    posts[r] = board_.LastPost(static_cast<int>(r));
    all_posted = std::min(all_posted, posts[r].sequence);
  }
  for (int l = 0; l < local_size(); ++l) {
    RankCalls calls = calls_[l];
    if (!posts.empty()) {
      const submission::BoardPost& post = posts[first_rank() + l];
      if (post.sequence > calls.called) {
        const submission::BoardCall& c = post.call;
        calls.called = post.sequence;
        calls.answered = all_posted >= post.sequence ? post.sequence : post.sequence - 1;
        calls.operation = engine::DescribeSignature({c.kind, c.count, c.dtype, c.op, c.root});
        calls.since = post.posted;
      }
    }
    proto::RankProgress* rank = reply.add_ranks();
    rank->set_rank(first_rank() + l);
    rank->set_called(calls.called);
    rank->set_answered(calls.answered);
    rank->set_operation(calls.operation);
    if (calls.called > calls.answered) {
      rank->set_waiting_ms(absl::ToInt64Milliseconds(now - calls.since));
    }
  }
  return reply;
}

void NodeJob::AcceptLoop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    absl::StatusOr<shm::UnixChannel> channel = listener_.Accept(absl::Now() + kPollSlice);
    if (!channel.ok()) {
      if (!absl::IsDeadlineExceeded(channel.status())) {
        LogWarning(absl::StrCat("node ", options_.node_rank, ": accept: ",
                                channel.status().ToString()));
      }
      continue;
    }
    if (absl::Status s = Admit(*std::move(channel)); !s.ok()) {
      LogWarning(absl::StrCat("node ", options_.node_rank, ": refused a rank: ", s.message()));
    }
  }
}

absl::Status NodeJob::Admit(shm::UnixChannel channel) {
  absl::StatusOr<shm::Message> message =
      channel.Recv(absl::Now() + options_.config.timeout);
  if (!message.ok()) return message.status();
  // Own the passed descriptors at once so no error path leaks them.
  std::vector<shm::SharedRegion> regions;
  proto::RankHello hello;
  proto::RankWelcome welcome;
  auto refuse = [&](std::string why) {
    welcome.set_error(why);
    channel.Send(welcome.SerializeAsString()).IgnoreError();
    for (int fd : message->fds) close(fd);
    return absl::PermissionDeniedError(why);
  };
  if (!hello.ParseFromString(message->bytes)) return refuse("malformed hello");
  if (hello.token() != options_.token) return refuse("wrong job token");
  if (hello.job_id() != options_.job.job_id()) {
    return refuse(absl::StrCat("rank belongs to job '", hello.job_id(), "', this node runs '",
                               options_.job.job_id(), "'"));
  }
  int local = hello.rank() - first_rank();
  if (local < 0 || local >= local_size() || hello.local_rank() != local) {
    return refuse(absl::StrCat("rank ", hello.rank(), " (local ", hello.local_rank(),
                               ") does not run on node ", options_.node_rank));
  }
  if (message->fds.size() != 2) {
    return refuse(absl::StrCat("hello carried ", message->fds.size(), " descriptors, expected 2"));
  }
  auto session = std::make_unique<RankSession>();
  auto arena = shm::SharedRegion::Map(message->fds[0], hello.arena_bytes());
  auto rings = shm::SharedRegion::Map(message->fds[1], hello.rings_bytes());
  if (!arena.ok() || !rings.ok()) {
    welcome.set_error(absl::StrCat("cannot map the rank's memory: ",
                                   (!arena.ok() ? arena.status() : rings.status()).message()));
    channel.Send(welcome.SerializeAsString()).IgnoreError();
    return absl::ResourceExhaustedError(welcome.error());
  }
  session->arena = *std::move(arena);
  session->rings_region = *std::move(rings);
  auto pair = submission::RingPair::Attach(session->rings_region.base(),
                                           session->rings_region.size());
  if (!pair.ok()) {
    welcome.set_error(std::string(pair.status().message()));
    channel.Send(welcome.SerializeAsString()).IgnoreError();
    return pair.status();
  }
  session->rings = *pair;
  session->rank = hello.rank();
  session->local_rank = local;
  session->pid = hello.pid();
  welcome.set_node_rank(options_.node_rank);
  welcome.set_nodes(options_.job.nodes());
  welcome.set_world_size(options_.job.nodes() * local_size());
  session->welcome = std::move(welcome);
  session->channel = std::move(channel);

  absl::MutexLock lock(&mu_);
  if (sessions_[local] != nullptr && sessions_[local]->connected) {
    return absl::AlreadyExistsError(absl::StrCat("rank ", hello.rank(), " connected twice"));
  }
  RankSession* raw = session.get();
  // A replaced session's poller has exited (it cleared `connected`), so it is safe to drop.
  sessions_[local] = std::move(session);
  if (transport_) DeclareArenaLocked(*raw);
  pollers_.emplace_back([this, raw] { PollLoop(raw); });
  WelcomeLocked(raw);
  return absl::OkStatus();
}

void NodeJob::PollLoop(RankSession* session) {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    OpDescriptor d;
    absl::Status s = session->rings.submissions.Pop(&d, absl::Now() + kPollSlice);
    if (s.ok()) {
      if (d.kind == OpKind::kFinalize) {
        session->finalized = true;
        continue;
      }
      if (submission::IsPointToPoint(d.kind)) {
        SubmitPointToPoint(session, d);
        continue;
      }
      absl::MutexLock lock(&mu_);
      auto& parts = pending_[d.sequence];
      parts.resize(local_size());
      first_arrival_.emplace(d.sequence, absl::Now());
      RankCalls& calls = calls_[session->local_rank];
      calls.called = d.sequence;
      calls.operation = engine::DescribeSignature(engine::SignatureOf(d));
      calls.since = absl::Now();
      parts[session->local_rank] = d;
      continue;
    }
    // No submission: check whether the rank is still there. It sends nothing after its hello,
    // so the channel only ever reports the close.
    absl::StatusOr<shm::Message> probe = session->channel.Recv(absl::Now());
    if (probe.ok() || absl::IsDeadlineExceeded(probe.status())) continue;
    session->connected = false;
    if (!session->finalized) {
      Fail(absl::UnavailableError(absl::StrCat("rank ", session->rank, " (pid ", session->pid,
                                               ", node ", options_.node_rank,
                                               ") disconnected before finalizing its communicator")));
    }
    return;
  }
}

void NodeJob::Fail(absl::Status cause) {
  submission::NodeBoard board;
  {
    absl::MutexLock lock(&mu_);
    if (!error_.ok()) return;
    error_ = cause;
    // The other nodes learn at once (their transfers with this node fail) instead of waiting for
    // their deadlines; and no late message can land in a rank's buffers any more.
    if (transport_) transport_->Abort(cause);
    // Ranks still waiting for their answer get the cause as their answer.
    WelcomeAllLocked();
    board = board_;
  }
  // Ranks meeting on the call board (of every node sharing it) learn it there.
  if (board.valid()) board.Fail(cause);
  p2p_->Fail(std::move(cause));
}

absl::StatusOr<std::string> NodeJob::AwaitNodeAddress(const std::string& key,
                                                       absl::Time deadline) {
  // In slices: a node that never publishes (its launch failed) must not hold up stopping the job.
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return absl::CancelledError("the job stopped while connecting nodes");
    }
    absl::Time slice_end = std::min(deadline, absl::Now() + kPollSlice);
    absl::StatusOr<std::string> address = options_.store->Get(key, slice_end);
    if (!absl::IsDeadlineExceeded(address.status()) || slice_end >= deadline) return address;
  }
}

absl::Status NodeJob::ConnectNodes() {
  const int nodes = options_.job.nodes();
  collectives::NodeEngineOptions engine_options;
  engine_options.node_rank = options_.node_rank;
  engine_options.num_nodes = nodes;
  engine_options.total_ranks = nodes * local_size();
  engine_options.slice_bytes = options_.config.slice_bytes;
  // The node's chips share this engine: its passes over their arenas use the host's cores.
  if (local_size() > 1) engine_options.local_threads = collectives::LocalWorkers::DefaultThreads();
  absl::StatusOr<std::shared_ptr<const collectives::AlgorithmChooser>> chooser =
      engine::EngineChooser(options_.config, nodes, 1, local_size(),
                            absl::StrCat("node ", options_.node_rank));
  if (!chooser.ok()) return chooser.status();
  engine_options.chooser = *std::move(chooser);
  engine_options.group_members =
      engine::EngineGroupMembers(options_.config, nodes, 1, local_size());
  if (nodes > 1) {
    transport::TransportSpec spec;
    spec.kind = options_.job.transport().empty() ? "auto" : options_.job.transport();
    spec.rank = options_.node_rank;
    spec.size = nodes;
    spec.bind_host = options_.config.bootstrap_host;
    spec.group_key = options_.job.job_id();
    // The launcher puts its settings in the job's environment, which options_.config was read
    // from, so every node picks the same provider and rails.
    spec.ofi_provider = options_.config.ofi_provider;
    spec.ofi_rails = options_.config.ofi_rails;
    spec.timeout = options_.config.timeout;
    spec.ofi_mr_local = options_.config.ofi_mr_local;
    absl::StatusOr<std::unique_ptr<transport::ConnectableTransport>> listening =
        transport::OpenTransport(spec);
    if (!listening.ok()) return listening.status();
    if (options_.config.emulate_links_gbps > 0) {
      absl::StatusOr<std::optional<engine::LinkEmulation>> plan = engine::PlanLinkEmulation(
          *options_.config.topology, nodes, local_size(), options_.config.emulate_links_gbps);
      if (!plan.ok()) return plan.status();
      if (plan->has_value()) {
        LogInfo(absl::StrCat("node ", options_.node_rank, ": ",
                             (*plan)->Describe(options_.config.topology_spec)));
        *listening = engine::EmulateLinks(*std::move(listening), **plan, options_.node_rank, nodes);
      }
    }
    const std::string prefix = absl::StrCat(options_.job.job_id(), "/node-transport/");
    absl::Time deadline = absl::Now() + options_.config.timeout;
    if (auto s = options_.store->Put(absl::StrCat(prefix, options_.node_rank),
                                     (*listening)->address());
        !s.ok()) {
      return s;
    }
    std::vector<std::string> addresses(nodes);
    for (int n = 0; n < nodes; ++n) {
      absl::StatusOr<std::string> address = AwaitNodeAddress(absl::StrCat(prefix, n), deadline);
      if (!address.ok()) return address.status();
      addresses[n] = *address;
    }
    transport::ConnectableTransport* node_transport = listening->get();
    {
      // Published before Connect so that stopping the job can abort a Connect that waits for a
      // node that will never come.
      absl::MutexLock lock(&mu_);
      if (stopping_) return absl::CancelledError("the job stopped while connecting nodes");
      transport_ = *std::move(listening);
      // Arenas of ranks that attached before the transport existed; later ones in Admit.
      for (const auto& session : sessions_) {
        if (session) DeclareArenaLocked(*session);
      }
    }
    if (auto s = node_transport->Connect(addresses, deadline); !s.ok()) return s;
    LogInfo(absl::StrCat("node ", options_.node_rank, ": ", nodes, " nodes connected over ",
                         node_transport->Name()));
    engine_options.transport = transport_.get();
    p2p_->SetTransport(transport_.get());
  }
  engine_ = std::make_unique<collectives::NodeEngine>(engine_options);
  return absl::OkStatus();
}

void NodeJob::DeclareArenaLocked(const RankSession& session) {
  // The arena stays mapped for the job, so the transport may keep what it prepares for it.
  if (absl::Status s = transport_->RegisterRegion(session.arena.base(), session.arena.size());
      !s.ok()) {
    LogWarning(absl::StrCat("rank ", session.rank, "'s arena: ", s.message()));
  }
}

void NodeJob::Complete(const OpDescriptor& d, const std::vector<int>& local_ranks,
                       const absl::Status& status) {
  OpCompletion c{};
  c.sequence = d.sequence;
  c.kind = d.kind;
  c.peer = d.root_or_peer;
  c.status_code = static_cast<int32_t>(status.code());
  c.SetMessage(status.message());
  absl::MutexLock lock(&mu_);
  for (int l : local_ranks) {
    if (!submission::IsPointToPoint(d.kind)) {
      calls_[l].answered = std::max(calls_[l].answered, d.sequence);
    }
    RankSession* s = sessions_[l].get();
    if (s == nullptr || !s->connected) continue;
    // The rank consumes completions as it waits; a full ring means it is gone or stuck.
    if (!s->rings.completions.TryPush(c)) {
      LogWarning(absl::StrCat("rank ", s->rank, " does not take its completions; dropped ",
                              DescribeDescriptor(d)));
    }
  }
}

void NodeJob::SubmitPointToPoint(RankSession* session, const OpDescriptor& d) {
  const int world = options_.job.nodes() * local_size();
  auto refuse = [&](absl::Status status) { Complete(d, {session->local_rank}, status); };
  if (!collectives::IsValidDataType(d.dtype)) {
    return refuse(absl::InvalidArgumentError(
        absl::StrCat("rank ", session->rank, ": ", DescribeDescriptor(d), ": invalid dtype")));
  }
  if (d.root_or_peer < 0 || d.root_or_peer >= world) {
    return refuse(absl::InvalidArgumentError(absl::StrCat(
        "rank ", session->rank, ": ", DescribeDescriptor(d), ": peer outside [0, ", world, ")")));
  }
  const size_t element = collectives::DataTypeSize(static_cast<collectives::DataType>(d.dtype));
  if (d.count > session->arena.size() / element) {
    return refuse(absl::InvalidArgumentError(absl::StrCat(
        "rank ", session->rank, ": ", DescribeDescriptor(d), " spans more than its arena")));
  }
  const size_t bytes = d.count * element;
  const uint64_t offset = d.kind == OpKind::kSend ? d.send_offset : d.recv_offset;
  char* buffer = nullptr;
  if (bytes > 0) {
    absl::StatusOr<char*> range = session->ArenaRange(
        offset, bytes, d.kind == OpKind::kSend ? "send buffer" : "recv buffer");
    if (!range.ok()) return refuse(range.status());
    buffer = *range;
  }
  p2p_->Submit(session->local_rank, d, buffer, bytes);
}

}  // namespace ultracc::daemon
