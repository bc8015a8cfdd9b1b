// One job's collective engine on one node: accepts the node's ranks on a Unix socket, maps their
// arenas and rings, gathers each collective from every local rank, runs it on the NodeEngine
// (reduce inside the node over the mapped arenas, then across nodes over the transport), and posts
// the completions. When the ranks share memory (a one-node job, or nodes all on this host), it
// hands them the job's call board and each other's arenas, and they run most collectives alone.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "collectives/node_engine.h"
#include "daemon.pb.h"
#include "job.pb.h"
#include "runtime/bootstrap/store.h"
#include "runtime/config.h"
#include "runtime/daemon/point_to_point_router.h"
#include "runtime/daemon/rank_session.h"
#include "runtime/engine/collective_call.h"
#include "runtime/shm/process_descriptor.h"
#include "runtime/shm/shared_region.h"
#include "runtime/shm/unix_channel.h"
#include "runtime/submission/node_board.h"
#include "transport/transport.h"

namespace ultracc::daemon {

struct NodeJobOptions {
  proto::JobSpec job;
  int node_rank = 0;
  std::string token;
  Config config;                  // the job's settings (timeouts, bind address, slices)
  bootstrap::Store* store = nullptr;  // rendezvous with the other nodes' daemons; outlives the job
};

// Threads: an acceptor thread owns the listener; one poller thread per rank session reads its
// submission ring; one engine thread runs collectives in sequence order and owns the transport
// and the engine. Shared state (sessions_, pending_, error_) is under mu_.
class NodeJob {
 public:
  static absl::StatusOr<std::unique_ptr<NodeJob>> Start(NodeJobOptions options);
  ~NodeJob();
  NodeJob(const NodeJob&) = delete;
  NodeJob& operator=(const NodeJob&) = delete;

  // Abstract Unix socket name the ranks connect to (ULTRACC_DAEMON_SOCKET).
  const std::string& socket_name() const { return socket_name_; }
  // The first error that ended the job's collectives, if any.
  absl::Status error() const;
  // What each local rank called last and whether it was answered, and the engine's collective
  // (pid and running are left to the caller, who supervises the processes).
  proto::JobStatusReply Progress() const;

 private:
  // Short waits let the threads notice shutdown and vanished ranks promptly.
  static constexpr absl::Duration kPollSlice = absl::Milliseconds(200);

  explicit NodeJob(NodeJobOptions options);
  int local_size() const { return options_.job.chips_per_node(); }
  int first_rank() const { return options_.node_rank * local_size(); }

  void AcceptLoop();
  absl::Status Admit(shm::UnixChannel channel);
  // Answers `session`'s hello as welcome_ says (or with the job's failure); holds it while
  // welcome_ is undecided.
  void WelcomeLocked(RankSession* session) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // WelcomeLocked for every connected rank (those already answered are left alone).
  void WelcomeAllLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After the nodes connected, on the engine thread: decides whether the job's ranks share memory
  // (one node, or nodes that all run on this host over shm) and if so gathers the call board and
  // every rank's arena, from the other nodes' daemons too (node_job_sharing.cc); then answers
  // every rank admitted so far. Errors name this node (or the node whose rank never joined).
  absl::Status ShareMemory();
  // Whether the job's nodes may share memory: all on this host (the node transport is shm alone),
  // links not emulated, no algorithm forced, ULTRACC_SHARE_HOST not 0.
  bool NodesShareHost() const;
  // Waits until every local rank has connected; the error names the ones that did not.
  absl::Status AwaitLocalRanks(absl::Time deadline);
  // The other nodes' entries (host_share.h) opened: the board (from node 0) into `board_region`
  // and the arenas of their ranks into `arenas` (by rank of the job).
  absl::Status OpenOtherNodes(absl::Time deadline, bool with_arenas,
                              shm::SharedRegion* board_region, std::vector<shm::OwnedFd>* arenas,
                              std::vector<uint64_t>* arena_bytes);
  void PollLoop(RankSession* session);
  void EngineLoop();
  // The failure for collective `sequence` once some local ranks submitted it and others did not
  // within the timeout;
  // OK while there is still time. `missing_rank`: the first local rank that did not call it.
  absl::Status LocalStall(uint64_t sequence, int* missing_rank) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ConnectNodes();
  // The store value under `key` (another node's transport address), or Cancelled once stopping.
  absl::StatusOr<std::string> AwaitNodeAddress(const std::string& key, absl::Time deadline);
  // Runs the collective whose descriptors (one per local rank) all arrived. `links_clean` stays
  // true when the call failed before any data moved (the job can go on).
  absl::Status Execute(const std::vector<submission::OpDescriptor>& parts, bool* links_clean);
  // Checks that the local ranks made the same, valid call with buffers inside their arenas, and
  // fills `call` with it.
  absl::Status CheckLocalCall(const std::vector<submission::OpDescriptor>& parts,
                              engine::CollectiveCall* call);
  // Adds local chip `session`'s buffers (checked against its arena) to `call`.
  absl::Status AddChip(const RankSession& session, const submission::OpDescriptor& d, int world,
                       engine::CollectiveCall* call) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Answers `d` to each of `local_ranks`.
  void Complete(const submission::OpDescriptor& d, const std::vector<int>& local_ranks,
                const absl::Status& status);
  // Checks a send or receive of `session` against its arena and hands it to the router (or
  // answers it with the error).
  void SubmitPointToPoint(RankSession* session, const submission::OpDescriptor& d);
  void Fail(absl::Status cause);
  // Tells the node transport that `session`'s arena stays mapped while the job runs.
  void DeclareArenaLocked(const RankSession& session) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const NodeJobOptions options_;
  std::string socket_name_;
  shm::UnixListener listener_;
  // Set by the engine thread under mu_ (before it connects), read by others under mu_.
  std::unique_ptr<transport::Transport> transport_;
  std::unique_ptr<collectives::NodeEngine> engine_;   // engine thread
  std::unique_ptr<PointToPointRouter> p2p_;  // after transport_: destroyed before it
  // Where ranks that share memory agree on every collective and run most of them themselves:
  // set by the engine thread (ShareMemory) before welcome_ becomes kShared.
  shm::SharedRegion board_region_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<RankSession>> sessions_ ABSL_GUARDED_BY(mu_);  // by local rank
  // How admitted ranks are answered: held until the engine thread knows whether they share memory
  // (after connecting the nodes), then plainly or with the board and the arenas.
  enum class Welcome { kHold, kPlain, kShared };
  Welcome welcome_ ABSL_GUARDED_BY(mu_) = Welcome::kHold;
  submission::NodeBoard board_ ABSL_GUARDED_BY(mu_);
  // kShared: every rank's arena by rank of the job (none past the descriptors one message carries).
  std::vector<shm::OwnedFd> shared_arenas_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> shared_arena_bytes_ ABSL_GUARDED_BY(mu_);
  // Descriptors gathered per sequence number, one slot per local rank.
  std::map<uint64_t, std::vector<std::optional<submission::OpDescriptor>>> pending_
      ABSL_GUARDED_BY(mu_);
  // What each local rank called last, for Progress().
  struct RankCalls {
    uint64_t called = 0;
    uint64_t answered = 0;
    std::string operation;
    absl::Time since;
  };
  std::vector<RankCalls> calls_ ABSL_GUARDED_BY(mu_);  // by local rank
  uint64_t engine_op_ ABSL_GUARDED_BY(mu_) = 1;
  // When the first local rank submitted each pending collective: the others must follow in time.
  std::map<uint64_t, absl::Time> first_arrival_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> pollers_ ABSL_GUARDED_BY(mu_);
  std::thread acceptor_;
  std::thread engine_thread_;
};

}  // namespace ultracc::daemon
