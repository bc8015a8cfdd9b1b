// Daemon-mode communicator; see daemon_comm.h.
#include "runtime/client/daemon_comm.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "rank.pb.h"
#include "runtime/client/arena_collectives.h"
#include "runtime/client/board_collectives.h"
#include "runtime/client/embedded_comm.h"
#include "runtime/engine/call_signature.h"
#include "runtime/engine/timeout_report.h"

namespace ultracc::client {
namespace {

using submission::OpCompletion;
using submission::OpDescriptor;
using submission::OpKind;

constexpr absl::Duration kLivenessSlice = absl::Milliseconds(200);
constexpr absl::Duration kDaemonAnswerMargin = absl::Seconds(1);

// A staging buffer in the arena, freed when it goes out of scope.
class Staging {
 public:
  explicit Staging(RankMemory* memory) : memory_(memory) {}
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;
  ~Staging() {
    if (ptr_ != nullptr) memory_->Free(ptr_).IgnoreError();
  }
  absl::StatusOr<char*> Get(size_t bytes) {
    absl::StatusOr<void*> p = memory_->Allocate(bytes);
    if (!p.ok()) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "staging a buffer outside the arena: ", p.status().message(),
          " (allocate with ultraccMemAlloc, or raise ULTRACC_ARENA_BYTES)"));
    }
    ptr_ = *p;
    return static_cast<char*>(ptr_);
  }

 private:
  RankMemory* memory_;
  void* ptr_ = nullptr;
};

// `op`'s call as a descriptor, no buffers placed yet.
OpDescriptor CallDescriptor(const Operation& op) {
  OpDescriptor d{};
  d.sequence = op.sequence;
  d.kind = op.kind;
  d.dtype = static_cast<int32_t>(op.dtype);
  d.op = static_cast<int32_t>(op.op);
  d.root_or_peer = op.root_or_peer;
  d.count = op.count;
  d.send_offset = submission::kNoBuffer;
  d.recv_offset = submission::kNoBuffer;
  d.aux_offset = submission::kNoBuffer;
  return d;
}

}  // namespace

absl::StatusOr<std::unique_ptr<DaemonComm>> DaemonComm::Create(const Config& config) {
  if (!config.rank || !config.world_size || !config.local_rank) {
    return absl::FailedPreconditionError(
        "ULTRACC_RANK, ULTRACC_WORLD_SIZE and ULTRACC_LOCAL_RANK must be set (start the program "
        "with `ultracc launch`)");
  }
  absl::StatusOr<RankMemory*> memory = RankMemory::ForProcess();
  if (!memory.ok()) return memory.status();
  if (*memory == nullptr) {
    return absl::FailedPreconditionError("ULTRACC_DAEMON_SOCKET is not set: no node daemon");
  }
  std::unique_ptr<DaemonComm> comm(new DaemonComm(*config.rank, *config.world_size, config));
  comm->memory_ = *memory;
  auto rings = shm::SharedRegion::Create("ultracc-rings", submission::RingPair::Bytes());
  if (!rings.ok()) return rings.status();
  comm->rings_region_ = *std::move(rings);
  comm->rings_ = submission::RingPair::Init(comm->rings_region_.base());

  absl::Time deadline = absl::Now() + config.timeout;
  auto channel = shm::UnixChannel::Connect(config.daemon_socket, deadline);
  if (!channel.ok()) {
    return absl::UnavailableError(absl::StrCat("rank ", *config.rank,
                                               ": cannot reach the node daemon at @",
                                               config.daemon_socket, ": ",
                                               channel.status().message()));
  }
  comm->channel_ = *std::move(channel);
  proto::RankHello hello;
  hello.set_token(config.job_token);
  hello.set_job_id(config.job_id);
  hello.set_rank(*config.rank);
  hello.set_local_rank(*config.local_rank);
  hello.set_pid(getpid());
  hello.set_arena_bytes(comm->memory_->region().size());
  hello.set_rings_bytes(comm->rings_region_.size());
  int fds[2] = {comm->memory_->region().fd(), comm->rings_region_.fd()};
  if (auto s = comm->channel_.Send(hello.SerializeAsString(), fds); !s.ok()) return s;
  // The daemon bounds its wait for the other ranks by the same timeout and answers with its
  // cause (which rank did not join); this rank's own deadline only catches a daemon that does not.
  absl::StatusOr<shm::Message> reply = comm->channel_.Recv(
      deadline + engine::TimeoutReportWindow(config.timeout) + kDaemonAnswerMargin);
  if (absl::IsDeadlineExceeded(reply.status())) {
    // Where the ranks share memory, the daemon answers once every rank has joined.
    return absl::DeadlineExceededError(absl::StrCat(
        "rank ", *config.rank, ": the node daemon did not answer within ",
        absl::ToInt64Milliseconds(config.timeout),
        " ms (it answers once the job's nodes are connected and, when the ranks share memory, "
        "once every rank has created its communicator)"));
  }
  if (!reply.ok()) return reply.status();
  proto::RankWelcome welcome;
  if (!welcome.ParseFromString(reply->bytes)) {
    return absl::InternalError("malformed welcome from the node daemon");
  }
  if (!welcome.error().empty() && welcome.world_size() > 0) {
    // Admitted, but the job failed while this rank waited for the others to join.
    return absl::UnavailableError(absl::StrCat(
        "rank ", *config.rank, ": the job failed before every rank joined: ", welcome.error()));
  }
  if (!welcome.error().empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat("rank ", *config.rank, ": the node daemon refused it: ", welcome.error()));
  }
  if (welcome.world_size() != *config.world_size) {
    return absl::FailedPreconditionError(
        absl::StrCat("rank ", *config.rank, ": ULTRACC_WORLD_SIZE is ", *config.world_size,
                     " but the daemon runs a job of ", welcome.world_size(), " ranks"));
  }
  comm->node_ranks_ = welcome.nodes() > 0 ? *config.world_size / welcome.nodes() : 1;
  if (welcome.board_bytes() == 0) {
    for (int fd : reply->fds) close(fd);
    return comm;
  }
  const size_t arenas = static_cast<size_t>(welcome.arena_bytes_size());
  if (reply->fds.size() != 1 + arenas ||
      (arenas != 0 && arenas != static_cast<size_t>(*config.world_size))) {
    for (int fd : reply->fds) close(fd);
    return absl::InternalError(
        absl::StrCat("rank ", *config.rank, ": the node daemon's welcome carried ",
                     reply->fds.size(), " descriptors for its call board and ", arenas,
                     " arenas of a job of ", *config.world_size, " ranks"));
  }
  // Every other rank's arena, mapped here too (sparse: only pages in use cost memory).
  for (size_t p = 0; p < arenas; ++p) {
    const int fd = reply->fds[1 + p];
    if (p == static_cast<size_t>(*config.rank)) {
      close(fd);
      comm->arenas_.push_back(static_cast<char*>(comm->memory_->region().base()));
      continue;
    }
    auto arena = shm::SharedRegion::Map(fd, welcome.arena_bytes(static_cast<int>(p)));
    if (!arena.ok()) {
      for (size_t q = p + 2; q < reply->fds.size(); ++q) close(reply->fds[q]);
      close(reply->fds[0]);
      return arena.status();
    }
    comm->arenas_.push_back(static_cast<char*>(arena->base()));
    comm->peer_arenas_.push_back(*std::move(arena));
  }
  auto board_region = shm::SharedRegion::Map(reply->fds[0], welcome.board_bytes());
  if (!board_region.ok()) return board_region.status();
  auto board = submission::NodeBoard::Attach(board_region->base(), board_region->size());
  if (!board.ok()) return board.status();
  if (board->ranks() != *config.world_size) {
    return absl::InternalError(absl::StrCat("rank ", *config.rank,
                                            ": the node daemon's call board "
                                            "has ",
                                            board->ranks(), " ranks, the job ",
                                            *config.world_size));
  }
  comm->board_region_ = *std::move(board_region);
  comm->board_ = *board;
  return comm;
}

DaemonComm::~DaemonComm() = default;

absl::Status DaemonComm::Submit(absl::Span<const OpDescriptor> ds, absl::Time deadline) {
  // Pushes and pops interleave: the daemon answers some operations (local sends and receives)
  // while later ones are still being pushed, and a rank that only pushed could fill its completion
  // ring.
  std::vector<bool> answered(ds.size(), false);
  size_t pushed = 0;
  size_t open = ds.size();
  absl::Status first_error;
  const OpDescriptor& first = ds[0];
  // The daemon bounds the operation by the same timeout and answers with its cause (which rank
  // or node it did not hear from); this rank's own deadline only catches a daemon that does not.
  const absl::Time own_deadline =
      deadline + engine::TimeoutReportWindow(config_.timeout) + kDaemonAnswerMargin;
  while (open > 0) {
    while (pushed < ds.size() && rings_.submissions.TryPush(ds[pushed])) ++pushed;
    if (rings_.submissions.closed()) {
      return absl::UnavailableError(absl::StrCat("rank ", rank(), ": the node daemon closed the "
                                                 "submission ring while submitting ",
                                                 submission::OpKindName(first.kind), " #",
                                                 first.sequence));
    }
    OpCompletion c;
    absl::Time slice = absl::Now() + (pushed < ds.size() ? absl::Milliseconds(1) : kLivenessSlice);
    absl::Status s = rings_.completions.Pop(&c, std::min(own_deadline, slice));
    if (s.ok()) {
      size_t i = 0;
      while (i < pushed && (answered[i] || !c.Answers(ds[i]))) ++i;
      if (i == pushed) {
        return absl::InternalError(absl::StrCat(
            "rank ", rank(), ": completion of ", submission::OpKindName(c.kind), " #", c.sequence,
            " (peer ", c.peer, ") while waiting for ", submission::OpKindName(first.kind), " #",
            first.sequence));
      }
      answered[i] = true;
      --open;
      if (c.status_code != 0 && first_error.ok()) {
        first_error = absl::Status(static_cast<absl::StatusCode>(c.status_code), c.message);
      }
      continue;
    }
    if (!absl::IsDeadlineExceeded(s)) {
      return absl::UnavailableError(absl::StrCat("rank ", rank(), ": the node daemon ended the job"
                                                 " while ", submission::OpKindName(first.kind),
                                                 " #", first.sequence, " ran: ", s.message()));
    }
    if (absl::Now() >= own_deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "rank ", rank(), ": ", submission::OpKindName(first.kind), " #", first.sequence,
          ds.size() > 1 ? absl::StrCat(" and ", ds.size() - 1, " more") : "",
          " did not complete within the timeout"));
    }
    if (absl::Status alive = CheckDaemon(first.kind, first.sequence); !alive.ok()) return alive;
  }
  return first_error;
}

absl::Status DaemonComm::CheckDaemon(OpKind kind, uint64_t sequence) {
  absl::StatusOr<shm::Message> probe = channel_.Recv(absl::Now());
  if (probe.ok() || absl::IsDeadlineExceeded(probe.status())) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat("rank ", rank(), ": lost the node daemon while ",
                                             submission::OpKindName(kind), " #", sequence,
                                             " ran: ", probe.status().message()));
}

absl::Status DaemonComm::AwaitOnBoard(const Operation& op, bool finished, absl::Time deadline) {
  while (true) {
    const absl::Time slice = std::min(deadline, absl::Now() + kLivenessSlice);
    absl::Status s = finished ? board_.AwaitFinished(op.sequence, slice, &aborted_)
                              : board_.AwaitAll(op.sequence, slice, &aborted_);
    if (s.ok()) return s;
    if (absl::IsUnavailable(s)) {
      return absl::UnavailableError(absl::StrCat("rank ", rank(), ": the job failed while ",
                                                 submission::Describe(op),
                                                 " waited for the other ranks: ", s.message()));
    }
    if (absl::IsCancelled(s)) {
      return absl::CancelledError(
          absl::StrCat("rank ", rank(), ": ", submission::Describe(op), ": ", s.message()));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "op #", op.sequence, " timed out: rank ",
          board_.Missing(op.sequence, finished, node_ranks_ < size() ? node_ranks_ : 0),
          finished ? " did not finish it within " : " did not call it within ",
          absl::ToInt64Milliseconds(timeout()),
          " ms (stopped, hung or calling something else) while rank ", rank(), " called ",
          submission::Describe(op)));
    }
    if (absl::Status alive = CheckDaemon(op.kind, op.sequence); !alive.ok()) return alive;
  }
}

absl::Status DaemonComm::MeetOnBoard(const Operation& op, bool on_board,
                                     const submission::BoardBuffers& buffers, absl::Time deadline) {
  const engine::CallSignature mine = engine::SignatureOf(CallDescriptor(op));
  board_.Post(rank(), op.sequence, {mine.kind, mine.count, mine.dtype, mine.op, mine.root},
              on_board ? op.send : nullptr, on_board ? BoardInputBytes(op, rank(), size()) : 0,
              buffers);
  if (absl::Status s = AwaitOnBoard(op, /*finished=*/false, deadline); !s.ok()) return s;
  std::vector<engine::CallSignature> by_rank(static_cast<size_t>(size()));
  for (int r = 0; r < size(); ++r) {
    const submission::BoardCall c = board_.CallOf(r, op.sequence);
    by_rank[r] = {c.kind, c.count, c.dtype, c.op, c.root};
  }
  return engine::CompareSignatures(by_rank, 0, op.sequence);
}

absl::Status DaemonComm::DoCollective(const Operation& op, absl::Time deadline) {
  if (board_.valid()) {
    // Small calls run on the board; larger ones over the ranks' arenas when every rank's buffers
    // are in its arena; the rest (buffers elsewhere, all-to-allv) in the daemon.
    const bool on_board = RunsOnBoard(op, size(), config_.board_bytes);
    submission::BoardBuffers buffers;
    if (!on_board && !arenas_.empty()) {
      buffers = ArenaBuffers(op, rank(), size(), arenas_[rank()], memory_->region().size());
    }
    if (absl::Status s = MeetOnBoard(op, on_board, buffers, deadline); !s.ok()) return s;
    if (on_board) {
      FinishOnBoard(board_, op, rank(), node_ranks_);
      return absl::OkStatus();
    }
    if (buffers.reachable && AllReachable(board_, op)) {
      RunOverArenas(board_, op, rank(), node_ranks_, arenas_);
      board_.Finish(rank(), op.sequence);
      return AwaitOnBoard(op, /*finished=*/true, deadline);
    }
  }
  const size_t element = collectives::DataTypeSize(op.dtype);
  const submission::Extents extents = submission::BufferExtents(op, rank(), size());
  const size_t send_bytes = extents.send * element;
  const size_t recv_bytes = extents.recv * element;
  OpDescriptor d = CallDescriptor(op);

  // Buffers outside the arena are staged. When send and recv overlap (in place, including the
  // offset forms of reduce-scatter and all-gather), their union is staged as one block so the
  // daemon sees the same aliasing the caller made.
  const char* send = static_cast<const char*>(op.send);
  char* recv = static_cast<char*>(op.recv);
  const bool send_outside = send_bytes > 0 && !memory_->Contains(send, send_bytes);
  const bool recv_outside = recv_bytes > 0 && !memory_->Contains(recv, recv_bytes);
  Staging send_staging(memory_), recv_staging(memory_), aux_staging(memory_);
  char* recv_stage = nullptr;
  if (send_bytes > 0 && !send_outside) d.send_offset = memory_->OffsetOf(send);
  if (recv_bytes > 0 && !recv_outside) d.recv_offset = memory_->OffsetOf(recv);
  const bool overlap = send_outside && recv_outside && send < recv + recv_bytes &&
                       recv < send + send_bytes;
  if (overlap) {
    const char* lo = std::min<const char*>(send, recv);
    const char* hi = std::max<const char*>(send + send_bytes, recv + recv_bytes);
    absl::StatusOr<char*> stage = send_staging.Get(hi - lo);
    if (!stage.ok()) return stage.status();
    std::memcpy(*stage, lo, hi - lo);
    d.send_offset = memory_->OffsetOf(*stage + (send - lo));
    d.recv_offset = memory_->OffsetOf(*stage + (recv - lo));
    recv_stage = *stage + (recv - lo);
  } else {
    if (send_outside) {
      absl::StatusOr<char*> stage = send_staging.Get(send_bytes);
      if (!stage.ok()) return stage.status();
      std::memcpy(*stage, send, send_bytes);
      d.send_offset = memory_->OffsetOf(*stage);
    }
    if (recv_outside) {
      absl::StatusOr<char*> stage = recv_staging.Get(recv_bytes);
      if (!stage.ok()) return stage.status();
      recv_stage = *stage;
      d.recv_offset = memory_->OffsetOf(*stage);
      // All-to-allv may leave gaps between the blocks it writes; the copy back must return them
      // as they were.
      if (op.kind == OpKind::kAllToAllv) std::memcpy(recv_stage, recv, recv_bytes);
    }
  }
  if (op.kind == OpKind::kAllToAllv) {
    const size_t n = static_cast<size_t>(size());
    absl::StatusOr<char*> stage = aux_staging.Get(4 * n * sizeof(uint64_t));
    if (!stage.ok()) return stage.status();
    uint64_t* aux = reinterpret_cast<uint64_t*>(*stage);
    for (size_t j = 0; j < n; ++j) {
      aux[j] = op.send_counts[j];
      aux[n + j] = op.send_displs[j];
      aux[2 * n + j] = op.recv_counts[j];
      aux[3 * n + j] = op.recv_displs[j];
    }
    d.aux_offset = memory_->OffsetOf(*stage);
  }
  if (absl::Status s = Submit(absl::MakeConstSpan(&d, 1), deadline); !s.ok()) return s;
  if (recv_stage != nullptr) std::memcpy(recv, recv_stage, recv_bytes);
  return absl::OkStatus();
}

absl::Status DaemonComm::DoPointToPoint(absl::Span<const Operation* const> ops,
                                        absl::Time deadline) {
  std::vector<OpDescriptor> ds;
  std::deque<Staging> stagings;
  std::vector<std::pair<char*, const Operation*>> copy_back;  // staged receives
  for (const Operation* op : ops) {
    const size_t bytes = op->count * collectives::DataTypeSize(op->dtype);
    OpDescriptor d = CallDescriptor(*op);
    const bool sending = op->kind == OpKind::kSend;
    const void* user = sending ? op->send : op->recv;
    uint64_t offset = submission::kNoBuffer;
    if (bytes > 0 && memory_->Contains(user, bytes)) {
      offset = memory_->OffsetOf(user);
    } else if (bytes > 0) {
      absl::StatusOr<char*> stage = stagings.emplace_back(memory_).Get(bytes);
      if (!stage.ok()) return stage.status();
      if (sending) {
        std::memcpy(*stage, op->send, bytes);
      } else {
        copy_back.emplace_back(*stage, op);
      }
      offset = memory_->OffsetOf(*stage);
    }
    (sending ? d.send_offset : d.recv_offset) = offset;
    ds.push_back(d);
  }
  if (absl::Status s = Submit(ds, deadline); !s.ok()) return s;
  for (const auto& [stage, op] : copy_back) {
    std::memcpy(op->recv, stage, op->count * collectives::DataTypeSize(op->dtype));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Communicator>> DaemonComm::DoSplit(const std::vector<int>& members,
                                                                  int new_rank, uint32_t comm_id,
                                                                  absl::Time deadline) {
  // A split communicator's members are a subset of the world in any order, which the node
  // engine's node-major layout does not describe; its ranks therefore run the engine themselves
  // (embedded mode) over links of their own, meeting through the job's store. Colors never share
  // a member, so the first member names the communicator uniquely next to its id.
  if (config_.store_address.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("rank ", rank(), ": ULTRACC_STORE_ADDRESS is not set, so communicators "
                     "cannot be split (start the program with `ultracc launch`)"));
  }
  const std::string key = absl::StrCat(config_.job_id, "/split/", comm_id, "/", members[0]);
  absl::StatusOr<std::unique_ptr<EmbeddedComm>> child =
      EmbeddedComm::Join(static_cast<int>(members.size()), new_rank, comm_id,
                         config_.store_address, config_.job_token, key, config_);
  if (!child.ok()) return child.status();
  return std::unique_ptr<Communicator>(*std::move(child));
}

absl::Status DaemonComm::DoFinalize(absl::Time deadline) {
  OpDescriptor d{};
  d.kind = OpKind::kFinalize;
  return rings_.submissions.Push(d, deadline);
}

void DaemonComm::DoAbort() {
  // A rank waiting on the call board wakes up and sees the flag.
  aborted_.store(true, std::memory_order_release);
  if (board_.valid()) board_.Ring();
  // Closing the rings and the socket tells the daemon at once; it fails the job's collectives.
  rings_.submissions.Close();
  rings_.completions.Close();
  // shutdown() rather than close(): another thread may be polling the socket right now.
  ::shutdown(channel_.fd(), SHUT_RDWR);
}

}  // namespace ultracc::client
