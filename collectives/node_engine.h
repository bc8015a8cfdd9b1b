// The collective engine of one emulated node: it owns the chips local to the node (one in embedded
// mode, chips_per_node in daemon mode) and reaches the other nodes through one transport whose
// members are the nodes.
//
// All-reduce is hierarchical by construction: the local inputs are reduced straight into the first
// local output (each input read once), only that per-node partial result crosses the transport
// (ring all-reduce between nodes), and the result is then copied to the other local outputs.
//
// Numerics: with half, bfloat16 and float8 types the local reduction rounds once and each ring
// round once more (see reduce_kernels.h). kAvg divides once, at the end, by total_ranks.
//
// Threading: one thread at a time drives an engine (its executor and scratch are not shared);
// operations on one engine run one after another, in op_seq order on every node.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "collectives/datatype.h"
#include "collectives/executor.h"
#include "transport/transport.h"

namespace ultracc::collectives {

struct NodeEngineOptions {
  int node_rank = 0;
  int num_nodes = 1;
  int total_ranks = 1;                        // chips in the communicator (divisor for kAvg)
  transport::Transport* transport = nullptr;  // members = nodes; may be null when num_nodes == 1
  size_t slice_bytes = 1 << 20;
};

class NodeEngine {
 public:
  explicit NodeEngine(const NodeEngineOptions& options);

  // inputs[i] / outputs[i]: local chip i's send / recv buffer (may alias: in place). All local
  // chips contribute; every output receives the full result. `op_seq` numbers the operation (the
  // same on every node, below 2^40): it becomes the high bits of every message tag. Fails with
  // InvalidArgument naming the argument on bad input, and with the executor's error (naming the
  // step, peer and tag) on transport failure or when `deadline` passes.
  absl::Status AllReduce(absl::Span<const void* const> inputs, absl::Span<void* const> outputs,
                         size_t count, DataType dtype, RedOp op, uint64_t op_seq,
                         absl::Time deadline);

 private:
  absl::Status CheckAllReduceArguments(absl::Span<const void* const> inputs,
                                       absl::Span<void* const> outputs, size_t count,
                                       DataType dtype, RedOp op, uint64_t op_seq) const;

  const NodeEngineOptions options_;
  Executor executor_;
};

}  // namespace ultracc::collectives
