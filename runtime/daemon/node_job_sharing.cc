// The part of a job's node engine that lets its ranks share memory: the call board and every
// rank's arena, within one node or across the nodes of one host; see node_job.h.
#include <unistd.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "runtime/daemon/host_share.h"
#include "runtime/daemon/node_job.h"
#include "runtime/engine/timeout_report.h"
#include "runtime/log.h"

namespace ultracc::daemon {
namespace {

// `s` as the reason node `node` cannot share memory with the others.
absl::Status Prefixed(int node, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat("node ", node,
                                             " cannot share memory with the "
                                             "other nodes' ranks: ",
                                             s.message()));
}

}  // namespace

void NodeJob::WelcomeLocked(RankSession* session) {
  if (session->welcomed) return;
  std::vector<int> fds;
  if (!error_.ok()) {
    session->welcome.set_error(std::string(error_.message()));
  } else if (welcome_ == Welcome::kHold) {
    return;
  } else if (welcome_ == Welcome::kShared) {
    session->welcome.set_board_bytes(board_region_.size());
    fds.push_back(board_region_.fd());
    for (size_t r = 0; r < shared_arenas_.size(); ++r) {
      fds.push_back(shared_arenas_[r].get());
      session->welcome.add_arena_bytes(shared_arena_bytes_[r]);
    }
  }
  session->welcomed = true;
  if (absl::Status s = session->channel.Send(session->welcome.SerializeAsString(), fds); !s.ok()) {
    LogWarning(absl::StrCat("node ", options_.node_rank, ": cannot answer rank ", session->rank,
                            ": ", s.message()));
  }
}

void NodeJob::WelcomeAllLocked() {
  for (const auto& session : sessions_) {
    if (session != nullptr && session->connected) WelcomeLocked(session.get());
  }
}

bool NodeJob::NodesShareHost() const {
  // A transport named plain "shm" reaches every node through this host's memory; emulated links
  // and a forced algorithm ask for the node engine's schedule between nodes, so they keep it.
  return options_.config.share_host && transport_ != nullptr && transport_->Name() == "shm" &&
         options_.config.emulate_links_gbps <= 0 &&
         options_.config.algorithm == collectives::Algorithm::kAuto;
}

absl::Status NodeJob::AwaitLocalRanks(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto joined = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    if (stopping_ || !error_.ok()) return true;
    for (const auto& session : sessions_) {
      if (session == nullptr || !session->connected) return false;
    }
    return true;
  };
  // In slices: a rank that vanishes clears `connected` without taking mu_.
  while (!mu_.AwaitWithDeadline(absl::Condition(&joined),
                                std::min(deadline, absl::Now() + kPollSlice)) &&
         absl::Now() < deadline) {
  }
  if (stopping_) return absl::CancelledError("the job stopped while its ranks joined");
  if (!error_.ok()) return error_;
  if (joined()) return absl::OkStatus();
  std::vector<int> missing;
  for (int l = 0; l < local_size(); ++l) {
    if (sessions_[l] == nullptr || !sessions_[l]->connected) missing.push_back(first_rank() + l);
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "rank", missing.size() > 1 ? "s " : " ", absl::StrJoin(missing, ", "), " did not create ",
      missing.size() > 1 ? "their" : "its", " communicator within ",
      absl::ToInt64Milliseconds(options_.config.timeout), " ms"));
}

absl::Status NodeJob::OpenOtherNodes(absl::Time deadline, bool with_arenas,
                                     shm::SharedRegion* board_region,
                                     std::vector<shm::OwnedFd>* arenas,
                                     std::vector<uint64_t>* arena_bytes) {
  const int nodes = options_.job.nodes();
  const std::string prefix = absl::StrCat(options_.job.job_id(), "/host-share/");
  for (int n = 0; n < nodes; ++n) {
    if (n == options_.node_rank) continue;
    absl::StatusOr<std::string> text = AwaitNodeAddress(absl::StrCat(prefix, n), deadline);
    if (!text.ok()) {
      return Prefixed(
          options_.node_rank,
          absl::Status(text.status().code(), absl::StrCat("waiting for node ", n,
                                                          "'s entry: ", text.status().message())));
    }
    absl::StatusOr<NodeShare> share = DecodeNodeShare(*text, n);
    if (!share.ok()) return Prefixed(options_.node_rank, share.status());
    // That node's own reason, as it told its ranks.
    if (!share->error.empty()) return absl::FailedPreconditionError(share->error);
    if (n == 0) {
      if (!share->board) {
        return Prefixed(options_.node_rank,
                        absl::InvalidArgumentError("node 0 published no call board"));
      }
      absl::StatusOr<shm::OwnedFd> fd =
          shm::OpenProcessDescriptor(share->pid, share->board->fd, "node 0's call board");
      if (!fd.ok()) return Prefixed(options_.node_rank, fd.status());
      absl::StatusOr<shm::SharedRegion> region =
          shm::SharedRegion::Map(fd->Release(), share->board->bytes);
      if (!region.ok()) return Prefixed(options_.node_rank, region.status());
      *board_region = *std::move(region);
    }
    if (!with_arenas) continue;
    if (static_cast<int>(share->arenas.size()) != local_size()) {
      return Prefixed(options_.node_rank, absl::InvalidArgumentError(absl::StrCat(
                                              "node ", n, " published ", share->arenas.size(),
                                              " arenas for ", local_size(), " ranks")));
    }
    for (int l = 0; l < local_size(); ++l) {
      const int rank = n * local_size() + l;
      absl::StatusOr<shm::OwnedFd> fd = shm::OpenProcessDescriptor(
          share->pid, share->arenas[l].fd, absl::StrCat("the arena of rank ", rank));
      if (!fd.ok()) return Prefixed(options_.node_rank, fd.status());
      (*arenas)[rank] = *std::move(fd);
      (*arena_bytes)[rank] = share->arenas[l].bytes;
    }
  }
  return absl::OkStatus();
}

absl::Status NodeJob::ShareMemory() {
  const int nodes = options_.job.nodes();
  const int world = nodes * local_size();
  if (nodes > 1 && !NodesShareHost()) {
    absl::MutexLock lock(&mu_);
    welcome_ = Welcome::kPlain;
    WelcomeAllLocked();
    return absl::OkStatus();
  }
  const absl::Time deadline = absl::Now() + options_.config.timeout;
  shm::SharedRegion board_region;
  if (options_.node_rank == 0) {
    absl::StatusOr<shm::SharedRegion> created =
        shm::SharedRegion::Create("ultracc-board", submission::NodeBoard::Bytes(world));
    if (!created.ok()) return Prefixed(options_.node_rank, created.status());
    board_region = *std::move(created);
    submission::NodeBoard::Init(board_region.base(), world);
  }
  const std::string key = absl::StrCat(options_.job.job_id(), "/host-share/", options_.node_rank);
  if (absl::Status s = AwaitLocalRanks(deadline); !s.ok()) {
    if (absl::IsCancelled(s)) return s;
    s = absl::Status(s.code(), absl::StrCat("node ", options_.node_rank, ": ", s.message()));
    // The other nodes fail with this node's reason instead of waiting out their own deadline.
    if (nodes > 1) {
      NodeShare failed;
      failed.error = std::string(s.message());
      options_.store->Put(key, EncodeNodeShare(failed)).IgnoreError();
    }
    return s;
  }
  // Every rank gets the board and each arena in one message; past what one message carries, the
  // ranks share only the board.
  const bool with_arenas = world + 1 <= static_cast<int>(shm::UnixChannel::kMaxFdsPerMessage);
  std::vector<shm::OwnedFd> arenas(with_arenas ? world : 0);
  std::vector<uint64_t> arena_bytes(with_arenas ? world : 0);
  NodeShare mine;
  mine.pid = getpid();
  if (board_region.fd() >= 0) mine.board = SharedMemoryRef{board_region.fd(), board_region.size()};
  if (with_arenas) {
    absl::MutexLock lock(&mu_);
    for (int l = 0; l < local_size(); ++l) {
      // A copy of the descriptor: it outlives a session that is replaced.
      const shm::SharedRegion& arena = sessions_[l]->arena;
      absl::StatusOr<shm::OwnedFd> copy =
          shm::Duplicate(arena.fd(), absl::StrCat("the arena of rank ", first_rank() + l));
      if (!copy.ok()) return Prefixed(options_.node_rank, copy.status());
      mine.arenas.push_back(SharedMemoryRef{copy->get(), arena.size()});
      arenas[first_rank() + l] = *std::move(copy);
      arena_bytes[first_rank() + l] = arena.size();
    }
  }
  if (nodes > 1) {
    if (absl::Status s = options_.store->Put(key, EncodeNodeShare(mine)); !s.ok()) {
      return Prefixed(options_.node_rank, s);
    }
    // A little past this node's own deadline, so that a node whose rank never joined says so.
    const absl::Time others = deadline + engine::TimeoutReportWindow(options_.config.timeout);
    if (absl::Status s = OpenOtherNodes(others, with_arenas, &board_region, &arenas, &arena_bytes);
        !s.ok()) {
      return s;
    }
  }
  absl::StatusOr<submission::NodeBoard> board =
      submission::NodeBoard::Attach(board_region.base(), board_region.size());
  if (!board.ok()) return board.status();
  if (board->ranks() != world) {
    return absl::InvalidArgumentError(
        absl::StrCat("node 0's call board has ", board->ranks(), " ranks, the job ", world));
  }
  absl::MutexLock lock(&mu_);
  if (!error_.ok()) return error_;
  board_region_ = std::move(board_region);
  board_ = *board;
  shared_arenas_ = std::move(arenas);
  shared_arena_bytes_ = std::move(arena_bytes);
  welcome_ = Welcome::kShared;
  WelcomeAllLocked();
  if (nodes > 1) {
    LogInfo(absl::StrCat("node ", options_.node_rank, ": the ", world,
                         " ranks of the job's nodes share this host's memory"));
  }
  return absl::OkStatus();
}

}  // namespace ultracc::daemon
