// A job's node engine inside ultraccd; see node_job.h.
#include "runtime/daemon/node_job.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "collectives/datatype.h"
#include "rank.pb.h"
#include "runtime/engine/call_agreement.h"
#include "runtime/engine/collective_call.h"
#include "runtime/submission/operation.h"
#include "runtime/log.h"
#include "transport/tcp/tcp_transport.h"

namespace ultracc::daemon {
namespace {

using submission::OpCompletion;
using submission::OpDescriptor;
using submission::OpKind;

// Short waits let the threads notice shutdown and vanished ranks promptly.
constexpr absl::Duration kPollSlice = absl::Milliseconds(200);

std::string DescribeOp(const OpDescriptor& d) {
  return absl::StrCat(submission::OpKindName(d.kind), " #", d.sequence, " (count ", d.count,
                      ", dtype ",
                      collectives::DataTypeName(static_cast<collectives::DataType>(d.dtype)),
                      ", op ", collectives::RedOpName(static_cast<collectives::RedOp>(d.op)),
                      ", root/peer ", d.root_or_peer, ")");
}

}  // namespace

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
  if (absl::Status s = channel.Send(welcome.SerializeAsString()); !s.ok()) return s;
  session->channel = std::move(channel);

  absl::MutexLock lock(&mu_);
  if (sessions_[local] != nullptr && sessions_[local]->connected) {
    return absl::AlreadyExistsError(absl::StrCat("rank ", hello.rank(), " connected twice"));
  }
  RankSession* raw = session.get();
  // A replaced session's poller has exited (it cleared `connected`), so it is safe to drop.
  sessions_[local] = std::move(session);
  pollers_.emplace_back([this, raw] { PollLoop(raw); });
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
  {
    absl::MutexLock lock(&mu_);
    if (!error_.ok()) return;
    error_ = cause;
    // The other nodes learn at once (their transfers with this node fail) instead of waiting for
    // their deadlines; and no late message can land in a rank's buffers any more.
    if (transport_) transport_->Abort(cause);
  }
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
  if (nodes > 1) {
    transport::tcp::TcpOptions tcp;
    tcp.rank = options_.node_rank;
    tcp.size = nodes;
    tcp.bind_host = options_.config.bootstrap_host;
    tcp.group_key = options_.job.job_id();
    absl::StatusOr<std::unique_ptr<transport::tcp::TcpTransport>> listening =
        transport::tcp::TcpTransport::Listen(tcp);
    if (!listening.ok()) return listening.status();
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
    transport::tcp::TcpTransport* tcp_transport = listening->get();
    {
      // Published before Connect so that stopping the job can abort a Connect that waits for a
      // node that will never come.
      absl::MutexLock lock(&mu_);
      if (stopping_) return absl::CancelledError("the job stopped while connecting nodes");
      transport_ = *std::move(listening);
    }
    if (auto s = tcp_transport->Connect(addresses, deadline); !s.ok()) return s;
    engine_options.transport = transport_.get();
    p2p_->SetTransport(transport_.get());
  }
  engine_ = std::make_unique<collectives::NodeEngine>(engine_options);
  return absl::OkStatus();
}

void NodeJob::EngineLoop() {
  if (absl::Status s = ConnectNodes(); !s.ok()) {
    Fail(absl::UnavailableError(absl::StrCat("node ", options_.node_rank,
                                             " could not connect to the other nodes: ",
                                             s.message())));
  }
  uint64_t next = 1;
  while (true) {
    std::vector<OpDescriptor> parts;
    absl::Status failure;
    std::vector<std::pair<OpDescriptor, std::vector<int>>> orphans;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        if (stopping_ || !error_.ok()) return true;
        auto it = pending_.find(next);
        if (it == pending_.end()) return false;
        for (const auto& p : it->second) {
          if (!p) return false;
        }
        return true;
      };
      mu_.AwaitWithTimeout(absl::Condition(&ready), kPollSlice);
      if (stopping_) return;
      failure = error_;
      if (failure.ok() && !ready()) continue;
      if (!failure.ok()) {
        for (auto& [seq, slots] : pending_) {
          for (int l = 0; l < local_size(); ++l) {
            if (slots[l]) orphans.emplace_back(*slots[l], std::vector<int>{l});
          }
        }
        pending_.clear();
      } else {
        for (auto& p : pending_[next]) parts.push_back(*p);
        pending_.erase(next);
      }
    }
    if (!failure.ok()) {
      // Answer every submission that arrived, so no rank waits for a job that cannot go on.
      for (const auto& [d, arrived] : orphans) Complete(d, arrived, failure);
      continue;
    }
    bool links_clean = true;
    absl::Status status = Execute(parts, &links_clean);
    std::vector<int> all(local_size());
    for (int l = 0; l < local_size(); ++l) all[l] = l;
    Complete(parts[0], all, status);
    // A failure after data started moving ends the job's collectives: the nodes are at different
    // points of the schedule and the links in an unknown state. Calls the nodes found to disagree
    // before anything moved fail alone.
    if (!status.ok() && !links_clean) Fail(status);
    ++next;
  }
}

absl::Status NodeJob::CheckLocalCall(const std::vector<OpDescriptor>& parts,
                                     engine::CollectiveCall* call) {
  const OpDescriptor& first = parts[0];
  const bool reduction = submission::IsReduction(first.kind);
  for (size_t l = 1; l < parts.size(); ++l) {
    const OpDescriptor& d = parts[l];
    if (d.kind != first.kind || d.count != first.count || d.dtype != first.dtype ||
        (reduction && d.op != first.op) || d.root_or_peer != first.root_or_peer) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ranks disagree: rank ", first_rank(), " called ", DescribeOp(first), ", rank ",
          first_rank() + l, " called ", DescribeOp(d)));
    }
  }
  if (submission::IsPointToPoint(first.kind) || first.kind == OpKind::kFinalize ||
      first.kind < OpKind::kAllReduce || first.kind > OpKind::kRecv) {
    return absl::InvalidArgumentError(
        absl::StrCat("operation kind ", static_cast<uint32_t>(first.kind),
                     " is not a collective the node engine runs"));
  }
  if (!collectives::IsValidDataType(first.dtype) ||
      (reduction && !collectives::IsValidRedOp(first.op))) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid dtype ", first.dtype, " or op ", first.op));
  }
  call->dtype = static_cast<collectives::DataType>(first.dtype);
  call->op = reduction ? static_cast<collectives::RedOp>(first.op) : collectives::RedOp::kSum;
  const int world = options_.job.nodes() * local_size();
  absl::MutexLock lock(&mu_);
  for (size_t l = 0; l < parts.size(); ++l) {
    if (absl::Status s = AddChip(*sessions_[l], parts[l], world, call); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status NodeJob::Execute(const std::vector<OpDescriptor>& parts, bool* links_clean) {
  *links_clean = true;
  const OpDescriptor& first = parts[0];
  engine::CollectiveCall call;
  call.kind = first.kind;
  call.count = first.count;
  call.root = first.root_or_peer;
  const absl::Status local = CheckLocalCall(parts, &call);
  if (!engine_) return absl::FailedPreconditionError("the node engine is not connected");
  const absl::Time deadline = absl::Now() + options_.config.timeout;
  if (options_.job.nodes() > 1 && options_.config.check_calls) {
    // A node whose own ranks disagree still takes part, poisoned, so every node fails together.
    if (!local.ok()) {
      call.inputs.assign(local_size(), nullptr);
      call.dtype = collectives::DataType::kUint8;
    }
    absl::Status agreed = engine::AgreeOnCall(*engine_, call, engine::AgreementOpSeq(0, first.sequence),
                                              !local.ok(), deadline);
    if (!agreed.ok() && !absl::IsFailedPrecondition(agreed)) *links_clean = false;
    if (!local.ok()) return local;
    if (!agreed.ok()) return agreed;
  } else if (!local.ok()) {
    // Without the agreement the other nodes may already be waiting on this one.
    *links_clean = options_.job.nodes() == 1;
    return local;
  }
  absl::Status status = engine::RunCollective(*engine_, call, engine::EngineOpSeq(0, first.sequence),
                                              options_.config.algorithm, deadline);
  if (!status.ok()) *links_clean = false;
  return status;
}

absl::Status NodeJob::AddChip(const RankSession& session, const OpDescriptor& d, int world,
                              engine::CollectiveCall* call) {
  submission::Operation op;
  op.kind = d.kind;
  op.count = d.count;
  op.dtype = call->dtype;
  op.op = call->op;
  op.root_or_peer = d.root_or_peer;
  if (d.kind == OpKind::kAllToAllv) {
    const size_t n = static_cast<size_t>(world);
    auto aux = session.ArenaRange(d.aux_offset, 4 * n * sizeof(uint64_t), "all-to-allv counts");
    if (!aux.ok()) return aux.status();
    const uint64_t* arrays = reinterpret_cast<const uint64_t*>(*aux);
    op.send_counts.assign(arrays, arrays + n);
    op.send_displs.assign(arrays + n, arrays + 2 * n);
    op.recv_counts.assign(arrays + 2 * n, arrays + 3 * n);
    op.recv_displs.assign(arrays + 3 * n, arrays + 4 * n);
    // The engine reads the arrays in the arena; uint64_t and size_t agree on this platform.
    static_assert(sizeof(size_t) == sizeof(uint64_t));
    call->send_counts.push_back(reinterpret_cast<const size_t*>(arrays));
    call->send_displs.push_back(reinterpret_cast<const size_t*>(arrays + n));
    call->recv_counts.push_back(reinterpret_cast<const size_t*>(arrays + 2 * n));
    call->recv_displs.push_back(reinterpret_cast<const size_t*>(arrays + 3 * n));
  }
  // The rank checked its call before submitting it, but the daemon trusts no offset it did not
  // check itself: every range must lie inside that rank's arena.
  op.send = op.recv = nullptr;
  const submission::Extents extents = submission::BufferExtents(op, session.rank, world);
  const size_t element = collectives::DataTypeSize(call->dtype);
  const size_t arena_elements = session.arena.size() / element;
  if (extents.send > arena_elements || extents.recv > arena_elements) {
    return absl::InvalidArgumentError(absl::StrCat("rank ", session.rank, ": ", DescribeOp(d),
                                                   " spans more than its arena"));
  }
  const void* input = nullptr;
  void* output = nullptr;
  if (d.send_offset != submission::kNoBuffer) {
    auto in = session.ArenaRange(d.send_offset, extents.send * element, "send buffer");
    if (!in.ok()) return in.status();
    input = *in;
  }
  if (d.recv_offset != submission::kNoBuffer) {
    auto out = session.ArenaRange(d.recv_offset, extents.recv * element, "recv buffer");
    if (!out.ok()) return out.status();
    output = *out;
  }
  call->inputs.push_back(input);
  call->outputs.push_back(output);
  return absl::OkStatus();
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
    RankSession* s = sessions_[l].get();
    if (s == nullptr || !s->connected) continue;
    // The rank consumes completions as it waits; a full ring means it is gone or stuck.
    if (!s->rings.completions.TryPush(c)) {
      LogWarning(absl::StrCat("rank ", s->rank, " does not take its completions; dropped ",
                              DescribeOp(d)));
    }
  }
}

void NodeJob::SubmitPointToPoint(RankSession* session, const OpDescriptor& d) {
  const int world = options_.job.nodes() * local_size();
  auto refuse = [&](absl::Status status) { Complete(d, {session->local_rank}, status); };
  if (!collectives::IsValidDataType(d.dtype)) {
    return refuse(absl::InvalidArgumentError(
        absl::StrCat("rank ", session->rank, ": ", DescribeOp(d), ": invalid dtype")));
  }
  if (d.root_or_peer < 0 || d.root_or_peer >= world) {
    return refuse(absl::InvalidArgumentError(absl::StrCat(
        "rank ", session->rank, ": ", DescribeOp(d), ": peer outside [0, ", world, ")")));
  }
  const size_t element = collectives::DataTypeSize(static_cast<collectives::DataType>(d.dtype));
  if (d.count > session->arena.size() / element) {
    return refuse(absl::InvalidArgumentError(absl::StrCat(
        "rank ", session->rank, ": ", DescribeOp(d), " spans more than its arena")));
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
