// Runs a Schedule over a transport with real buffers: the one place where algorithms meet
// transports.
//
// Pipelining: every transfer is cut into slices of `slice_bytes`. Sends and plain receives post
// all their slices at once; a receive-reduce keeps `recv_reduce_window` slices in flight in
// executor-owned staging memory and reduces slice k into place while slices k+1... are still
// arriving. Rounds run strictly in order (see schedule.h).
//
// Tags: the caller owns the high bits of every tag, the executor the low kExecutorTagBits:
//   tag = tag_base | round << 8 | ordinal
// where ordinal (8 bits) counts the messages between this rank and that peer in that direction
// within the round, and round has 16 bits. Slices of one step share its tag and rely on the
// transport's per-tag FIFO order. Callers pass e.g. tag_base = op_sequence << kExecutorTagBits, so
// concurrent or back-to-back operations with different bases never match each other's messages.
//
// Errors: every wait uses the deadline. On a failure or timeout Run returns a status naming the
// rank, step, peer and tag, and leaves the transport alone (aborting it is the owner's decision).
// Requests may then still be in flight: the executor keeps the memory they point into (requests,
// staging, scratch) alive until it is destroyed, but the caller's buffers may still be written by
// late messages, so after a failed Run the owner must Abort or tear down the transport before
// reusing those buffers, and before destroying the executor.
//
// Threading: one thread at a time calls Run; the executor owns its scratch and reuses it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "collectives/datatype.h"
#include "collectives/schedule.h"
#include "common/huge_buffer.h"
#include "transport/transport.h"

namespace ultracc::collectives {

inline constexpr int kExecutorTagBits = 24;
inline constexpr int kTagOrdinalBits = 8;
inline constexpr int kTagRoundBits = kExecutorTagBits - kTagOrdinalBits;

// The tag of the `ordinal`-th message between a pair of ranks in `round` (see the layout above).
inline uint64_t MessageTag(uint64_t tag_base, int round, int ordinal) {
  return tag_base | (static_cast<uint64_t>(round) << kTagOrdinalBits) |
         static_cast<uint64_t>(ordinal);
}

struct ExecBuffers {
  void* input = nullptr;   // only read; may equal output
  void* output = nullptr;
  DataType dtype = DataType::kFloat32;
};

struct ExecutorOptions {
  size_t slice_bytes = 1 << 20;
  int recv_reduce_window = 4;  // slices of one receive-reduce in flight
};

class Executor {
 public:
  // `transport` may be null for schedules without transfers; it must outlive the executor.
  explicit Executor(transport::Transport* transport, ExecutorOptions options = {});
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Runs `schedule` (whose rank and size must be the transport's) on `buffers`, combining with
  // `op` (kAvg combines as kSum; the caller divides). `tag_base` must have its low
  // kExecutorTagBits clear. `slice_bytes` overrides the options' slice for this run (0 keeps
  // them); every member of a collective must slice alike. Returns when every step has finished,
  // or on the first error.
  absl::Status Run(const Schedule& schedule, const ExecBuffers& buffers, RedOp op,
                   uint64_t tag_base, absl::Time deadline, size_t slice_bytes = 0);

 private:
  struct Transfer;
  struct RunState;

  absl::Status RunRound(RunState& run, size_t begin, size_t end);
  absl::Status DrainRecvReduces(RunState& run, std::vector<Transfer>& transfers);
  transport::Request* NextRequest();
  char* Staging(size_t bytes);
  char* Scratch(size_t bytes);
  // Keeps memory that in-flight requests may still touch alive after a failed run.
  void AbandonInFlight();

  transport::Transport* const transport_;
  const ExecutorOptions options_;
  // Requests are reused round after round; a deque never moves its elements.
  std::deque<transport::Request> requests_;
  size_t requests_used_ = 0;
  HugeBuffer staging_;
  HugeBuffer scratch_;
  struct Abandoned;
  std::vector<std::unique_ptr<Abandoned>> abandoned_;
};

}  // namespace ultracc::collectives
