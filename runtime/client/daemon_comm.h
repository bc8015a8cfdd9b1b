// Daemon mode: collectives are handed to the node daemon through shared-memory rings; the daemon
// reads and writes the rank's arena directly. Buffers outside the arena are staged through it.
// When the job's ranks share memory (one node, or nodes all on one host over shm) they first meet
// on the call board (submission/node_board.h): every collective's call is checked there, small ones
// are computed there by the ranks alone and larger ones over each other's arenas.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/client/communicator.h"
#include "runtime/client/rank_memory.h"
#include "runtime/config.h"
#include "runtime/shm/shared_region.h"
#include "runtime/shm/unix_channel.h"
#include "runtime/submission/node_board.h"
#include "runtime/submission/ring_pair.h"

namespace ultracc::client {

class DaemonComm final : public Communicator {
 public:
  // Connects to the daemon named by config.daemon_socket and hands it the arena and the rings.
  static absl::StatusOr<std::unique_ptr<DaemonComm>> Create(const Config& config);
  ~DaemonComm() override;

 protected:
  absl::Status DoCollective(const Operation& op, absl::Time deadline) override;
  absl::Status DoPointToPoint(absl::Span<const Operation* const> ops,
                              absl::Time deadline) override;
  absl::StatusOr<std::unique_ptr<Communicator>> DoSplit(const std::vector<int>& members,
                                                        int new_rank, uint32_t comm_id,
                                                        absl::Time deadline) override;
  absl::Status DoFinalize(absl::Time deadline) override;
  void DoAbort() override;

 private:
  DaemonComm(int rank, int size, const Config& config)
      : Communicator(rank, size, /*comm_id=*/0, config.timeout), config_(config) {}
  // Submits `ds` and waits until every one is answered (in any order), watching for the daemon
  // going away. Returns the first error among the answers.
  absl::Status Submit(absl::Span<const submission::OpDescriptor> ds, absl::Time deadline);
  // Posts `op` to the call board (with its input when it runs there, and where its buffers are),
  // waits for every rank's post and checks that the calls agree.
  absl::Status MeetOnBoard(const Operation& op, bool on_board,
                           const submission::BoardBuffers& buffers, absl::Time deadline);
  // Waits until every rank posted (or finished) `op` on the board, within `deadline`, watching
  // for the daemon going away and for an abort.
  absl::Status AwaitOnBoard(const Operation& op, bool finished, absl::Time deadline);
  // Unavailable when the daemon is gone (its socket closed); OK otherwise.
  absl::Status CheckDaemon(OpKind kind, uint64_t sequence);

  const Config config_;
  RankMemory* memory_ = nullptr;
  shm::SharedRegion rings_region_;
  submission::RingPair rings_;
  shm::UnixChannel channel_;
  shm::SharedRegion board_region_;  // empty when the ranks do not share memory
  submission::NodeBoard board_;
  // Every rank's arena base in this process, by rank (this rank's own included); empty when the
  // daemon did not share them.
  std::vector<char*> arenas_;
  std::vector<shm::SharedRegion> peer_arenas_;
  int node_ranks_ = 1;  // ranks per node: reductions on the board and the arenas go node by node
  std::atomic<bool> aborted_{false};
};

}  // namespace ultracc::client
