// NodeBoard: where ranks that share memory (one node's, or all of a job whose nodes run on one
// host) meet for every collective, in memory a daemon creates and every such rank maps.
//
// Each rank posts each collective's call (kind, count, datatype, op, root) to its own slot, with
// its input when the input is small; once every rank has posted, each one checks the calls agree
// and, for small inputs, computes its own result from the posted inputs (board_collectives.h) with
// no daemon in the way. Larger collectives go on to the daemon, already agreed. A post makes no
// system call unless someone sleeps on the board.
//
// Each rank has two slots, used by alternate collectives: a rank posts collective s only after it
// finished s - 1, which needed every rank's post of s - 1, which each rank made only after it had
// finished reading s - 2 from the same slots. So a slot is never rewritten while read.
//
// The daemon (the creator) may Fail the board: every waiting and later rank then gets its cause.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ultracc::submission {

// One rank's call, as every participant must make it (raw values: the board is shared memory).
struct BoardCall {
  uint64_t kind = 0;
  uint64_t count = 0;
  uint64_t dtype = 0;
  uint64_t op = 0;
  int64_t root = -1;
};

// Where a rank's buffers of a collective sit in its arena, posted so that the other ranks of the
// node can read and write them directly (client/arena_collectives.h).
struct BoardBuffers {
  static constexpr uint64_t kNone = ~uint64_t{0};
  bool reachable = false;  // every buffer this rank uses is in its arena, and may be shared
  uint64_t send_offset = kNone;
  uint64_t recv_offset = kNone;
};

// The newest collective a rank posted, for status reports.
struct BoardPost {
  uint64_t sequence = 0;  // 0: none yet
  BoardCall call;
  absl::Time posted;
};

class NodeBoard {
 public:
  static constexpr size_t kPayloadBytes = size_t{1} << 20;  // a slot's input capacity

  static size_t Bytes(int ranks);
  // Formats a board for `ranks` ranks in `base` (Bytes(ranks) bytes, 64-byte aligned, zeroed);
  // done by the daemon.
  static NodeBoard Init(void* base, int ranks);
  // Attaches to a board the daemon formatted; InvalidArgument when `bytes` cannot hold it or the
  // layout is not a board's.
  static absl::StatusOr<NodeBoard> Attach(void* base, size_t bytes);

  NodeBoard() = default;
  bool valid() const { return base_ != nullptr; }
  int ranks() const { return ranks_; }

  // Posts collective `sequence` (>= 1) of `rank`: the call, `input_bytes` (<= kPayloadBytes) of
  // input and where its buffers are, then wakes sleepers.
  void Post(int rank, uint64_t sequence, const BoardCall& call, const void* input,
            size_t input_bytes, const BoardBuffers& buffers = {});
  // Waits until every rank posted `sequence`: OK; Unavailable with the daemon's cause once the
  // board failed; Cancelled once `*cancelled`; DeadlineExceeded at `until`. Spins briefly, then
  // sleeps on the board.
  absl::Status AwaitAll(uint64_t sequence, absl::Time until,
                        const std::atomic<bool>* cancelled = nullptr) const;
  // Once AwaitAll(sequence) returned OK: what `rank` posted for it.
  BoardCall CallOf(int rank, uint64_t sequence) const;
  const char* InputOf(int rank, uint64_t sequence) const;
  BoardBuffers BuffersOf(int rank, uint64_t sequence) const;
  // A collective the ranks run over each other's buffers: `rank` is done touching the others'
  // buffers; then AwaitFinished waits (as AwaitAll) until every rank is, so that no buffer is
  // returned to its owner while another rank still reads or writes it.
  void Finish(int rank, uint64_t sequence);
  absl::Status AwaitFinished(uint64_t sequence, absl::Time until,
                             const std::atomic<bool>* cancelled = nullptr) const;
  // The ranks that did not post (or finish) `sequence` yet, for timeout messages: "2, rank 5";
  // with `node_ranks` > 0 each names its node too (ranks numbered node by node): "2 (node 1)".
  std::string Missing(uint64_t sequence, bool finished = false, int node_ranks = 0) const;

  // What `rank` posted last, read while it may post again (a post landing meanwhile is read
  // again, so that the fields belong together).
  BoardPost LastPost(int rank) const;

  // Ends the board with `cause` (first call wins) and wakes everyone; by the daemon.
  void Fail(const absl::Status& cause);
  // Wakes sleepers without posting (after setting a cancellation flag they watch).
  void Ring();

 private:
  struct Header;
  struct Slot;
  NodeBoard(char* base, int ranks) : base_(base), ranks_(ranks) {}
  Header* header() const;
  Slot* slot(int rank, uint64_t sequence) const;
  // The collective `rank`'s slot for `sequence` was posted for (or finished) last.
  uint64_t Mark(int rank, uint64_t sequence, bool finished) const;
  bool AllReached(uint64_t sequence, bool finished) const;
  absl::Status Await(uint64_t sequence, bool finished, absl::Time until,
                     const std::atomic<bool>* cancelled) const;
  absl::Status Failure() const;

  char* base_ = nullptr;
  int ranks_ = 0;
};

}  // namespace ultracc::submission
