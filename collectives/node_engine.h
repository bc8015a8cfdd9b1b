// The collective engine of one emulated node: it owns the chips local to the node (one in embedded
// mode, chips_per_node in daemon mode) and reaches the other nodes through one transport whose
// members are the nodes.
//
// Rank layout is node-major: local chip i of node n is global rank n * C + i, where C is the number
// of local chips (the length of the inputs/outputs spans, the same on every node) and the world is
// num_nodes * C (which must equal options.total_ranks). Every collective is hierarchical by
// construction: local chips are combined or fanned out with one pass over their buffers, and only
// per-node data crosses the transport, under a schedule the chosen algorithm generates for the
// num_nodes members:
//   all-reduce      local reduce into outputs[0]; all-reduce between nodes; fan-out.
//   reduce-scatter  local reduce into a node workspace; reduce-scatter between nodes over node
//                   blocks of C * recvcount; each chip copies its slice out.
//   all-gather      local inputs placed in outputs[0]; all-gather of node blocks; fan-out.
//   all-to-all(v)   local inputs packed into one block per destination node (ordered by source
//                   chip, then destination chip); all-to-all(v) between nodes; unpacked. With C ==
//                   1 and distinct buffers the user's buffers are used as they are.
//   broadcast       root chip's input to its output; broadcast between nodes; fan-out.
//   reduce          local reduce; reduce between nodes to the root's node, into the root's output.
//   barrier         dissemination barrier between nodes (local chips synchronise by calling).
// In-place follows NCCL: reduce-scatter when outputs[i] == inputs[i] + rank * recvcount elements,
// all-gather when inputs[i] == outputs[i] + rank * sendcount, the others when inputs[i] ==
// outputs[i]. Broadcast reads inputs only at the root chip, reduce writes outputs only there; the
// other chips' pointers there may be null.
//
// Numerics. kAvg reduces as kSum and divides once, at the end, by the world size (integers
// truncate toward zero, as NCCL). Integers wrap on Sum/Prod and are exact otherwise. Floating
// results are not a plain left-to-right sum: they are rounded once per reduction step, and the
// steps are (1) the local reduce of C inputs, which accumulates in float32 for half, bfloat16 and
// float8 and rounds to the type once (float32/float64 round at each of the C - 1 additions),
// (2) every inter-node step that combines a received partial result (ring: num_nodes - 1; rhd: 1 +
// log2 of the power-of-two part, the 1 only when num_nodes is not a power of two; tree:
// ceil(log2 num_nodes); direct: num_nodes - 1; never more than num_nodes - 1), each computed in
// float32 (narrow types) and rounded to nearest-even once, and (3) the division of kAvg, rounded
// once. Each element's inputs are therefore combined along a tree of at most
//   R = local + (num_nodes - 1) + (op == kAvg)  roundings, local = 1 for narrow types with C > 1,
//   C - 1 for float32/float64, 0 when C == 1,
// and |computed - exact| <= gamma_R * sum|x_i| (divided by the world size for kAvg), with
// gamma_R = (1 + u)^R - 1 (about R u) and u the unit roundoff (2^-11 half, 2^-8 bfloat16, 2^-4
// e4m3, 2^-3 e5m2, 2^-24 float32, 2^-53 float64; narrow types add C * 2^-24 for the float32
// accumulation), plus half the smallest subnormal per rounding for results near zero. The bound
// holds while no partial result overflows (e4m3 saturates at +-448; the others become inf). A plain
// sequential sum in the narrow type would round world - 1 times instead, always left to right. Max
// and Min select an input exactly. Prod is within gamma_P relative error, where P counts every
// rounding of the tree, not one path (relative errors of the factors multiply):
// P = num_nodes * local + (num_nodes - 1); P == R when C == 1. SumErrorBound computes the bound.
//
// Errors: every method validates its arguments and fails with InvalidArgument naming the argument
// and its value. Transport failures and passed deadlines come back with the executor's message
// (rank, step, peer, tag). After a failure, messages may still land in the engine's workspace and
// the caller's buffers, so the owner must abort the transport before the next operation.
//
// Threading: one thread at a time drives an engine (its executor and workspace are not shared);
// operations on one engine run one after another, in op_seq order on every node.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "collectives/algorithm.h"
#include "collectives/algorithm_chooser.h"
#include "collectives/datatype.h"
#include "collectives/executor.h"
#include "collectives/local_workers.h"
#include "collectives/ring.h"
#include "collectives/schedule.h"
#include "common/huge_buffer.h"
#include "transport/transport.h"

namespace ultracc::collectives {

struct NodeEngineOptions {
  int node_rank = 0;
  int num_nodes = 1;
  int total_ranks = 1;                        // chips in the communicator: num_nodes * local chips
  transport::Transport* transport = nullptr;  // members = nodes; may be null when num_nodes == 1
  size_t slice_bytes = 1 << 20;
  // Threads (this one included) that split large local passes over the chips' buffers
  // (local_workers.h); 1 keeps them on the calling thread.
  int local_threads = 1;
  // Answers kAuto (see ResolveAlgorithm in algorithm_chooser.h); null: the size rule. Shared, so
  // that engines of one process can share one chooser's cache.
  std::shared_ptr<const AlgorithmChooser> chooser = nullptr;
  // Members per group behind one switch (an UltraServer's nodes), consecutive in member order,
  // for the hierarchical schedules; 1, or a count that does not divide num_nodes: no groups.
  int group_members = 1;
  // Where the members sit on the ring algorithms' ring (ring.h; rank order by default): e.g. a
  // snake through a torus (tuner/ring_order.h). It must fit num_nodes.
  RingOrder ring_order = RingOrder();
};

// The bound stated above on |computed - exact| of one kSum or kAvg result element whose world
// inputs have sum_of_magnitudes = sum|x_i|, for any algorithm. Returns 0 for integer types.
double SumErrorBound(DataType dtype, RedOp op, int num_nodes, int chips_per_node,
                     double sum_of_magnitudes);

// The bytes a node engine of `local_chips` chips weighs its choice of algorithm by (the algorithm
// runs between nodes) when each chip's call moves `chip_bytes` as ChooseAlgorithm counts them: an
// all-to-all packs every local chip's input into the node's message, so it counts local_chips
// times; the others move one chip's worth per node.
size_t NodeMessageBytes(CollectiveKind kind, size_t chip_bytes, size_t local_chips);

class NodeEngine {
 public:
  explicit NodeEngine(const NodeEngineOptions& options);
  ~NodeEngine();

  int num_nodes() const { return options_.num_nodes; }

  // Common arguments: inputs[i] / outputs[i] are local chip i's send / receive buffers; counts are
  // in elements; `op_seq` numbers the operation (the same on every node, below 2^40) and becomes
  // the high bits of every message tag; `algorithm` forces an algorithm for the inter-node part
  // (kAuto, or one that does not implement the collective, asks options.chooser, or without one
  // uses the default rule of algorithm.h).

  // Every output receives the reduction of all world inputs of `count` elements.
  absl::Status AllReduce(absl::Span<const void* const> inputs, absl::Span<void* const> outputs,
                         size_t count, DataType dtype, RedOp op, uint64_t op_seq,
                         absl::Time deadline, Algorithm algorithm = Algorithm::kAuto);

  // inputs: world * recvcount elements each; output of global rank g: the reduction of block g.
  absl::Status ReduceScatter(absl::Span<const void* const> inputs, absl::Span<void* const> outputs,
                             size_t recvcount, DataType dtype, RedOp op, uint64_t op_seq,
                             absl::Time deadline, Algorithm algorithm = Algorithm::kAuto);

  // outputs: world * sendcount elements each, block g = global rank g's input.
  absl::Status AllGather(absl::Span<const void* const> inputs, absl::Span<void* const> outputs,
                         size_t sendcount, DataType dtype, uint64_t op_seq, absl::Time deadline,
                         Algorithm algorithm = Algorithm::kAuto);

  // world * count elements each side: block j of rank g's input becomes block g of rank j's output.
  absl::Status AllToAll(absl::Span<const void* const> inputs, absl::Span<void* const> outputs,
                        size_t count, DataType dtype, uint64_t op_seq, absl::Time deadline,
                        Algorithm algorithm = Algorithm::kAuto);

  // send_counts[i], send_displs[i], recv_counts[i], recv_displs[i]: local chip i's arrays of world
  // entries, in elements (MPI_Alltoallv). Rank g's send_counts[j] must equal rank j's
  // recv_counts[g]; this is checked between local chips, and between nodes only as far as the
  // per-node totals (a mismatch there fails as a message size mismatch).
  absl::Status AllToAllv(
      absl::Span<const void* const> inputs, absl::Span<const size_t* const> send_counts,
      absl::Span<const size_t* const> send_displs, absl::Span<void* const> outputs,
      absl::Span<const size_t* const> recv_counts, absl::Span<const size_t* const> recv_displs,
      DataType dtype, uint64_t op_seq, absl::Time deadline, Algorithm algorithm = Algorithm::kAuto);

  // Global rank `root`'s input reaches every output.
  absl::Status Broadcast(absl::Span<const void* const> inputs, absl::Span<void* const> outputs,
                         size_t count, DataType dtype, int root, uint64_t op_seq,
                         absl::Time deadline, Algorithm algorithm = Algorithm::kAuto);

  // Global rank `root`'s output receives the reduction of all inputs.
  absl::Status Reduce(absl::Span<const void* const> inputs, absl::Span<void* const> outputs,
                      size_t count, DataType dtype, RedOp op, int root, uint64_t op_seq,
                      absl::Time deadline, Algorithm algorithm = Algorithm::kAuto);

  // Returns once every node has entered the barrier with this op_seq.
  absl::Status Barrier(uint64_t op_seq, absl::Time deadline);

 private:
  // What the argument checks and error messages of one call need.
  struct Call {
    CollectiveKind kind;
    uint64_t op_seq;
  };

  absl::Status Invalid(const Call& call, absl::string_view what) const;
  // Engine options, op_seq, dtype and (for reductions) op, the chip spans, and the world size.
  absl::Status CheckCall(const Call& call, size_t num_inputs, size_t num_outputs, DataType dtype,
                         const RedOp* op) const;
  // name[i] must be non-null for every chip i with required(i).
  absl::Status CheckPointers(const Call& call, absl::string_view name,
                             absl::Span<const void* const> pointers,
                             absl::FunctionRef<bool(size_t)> required) const;
  // `elements` * element size must fit in size_t.
  absl::Status CheckBytes(const Call& call, absl::string_view what, size_t elements, size_t factor,
                          DataType dtype) const;
  absl::StatusOr<Algorithm> Choose(const Call& call, size_t message_bytes, Algorithm forced) const;
  // Runs `schedule` between the nodes (nothing when it has no steps).
  // Members per group for the hierarchical schedules: options_.group_members when it splits the
  // nodes into several equal groups, else 1 (no groups).
  int GroupMembers() const {
    return options_.group_members > 1 && options_.num_nodes % options_.group_members == 0
               ? options_.group_members
               : 1;
  }
  // The chooser's slice for `algorithm` (0: the executor's own).
  size_t SliceFor(const Call& call, size_t message_bytes, Algorithm algorithm) const {
    return options_.chooser ? options_.chooser->SliceBytes(call.kind, message_bytes,
                                                           options_.num_nodes, algorithm)
                            : 0;
  }
  absl::Status RunAcrossNodes(const Call& call, absl::StatusOr<Schedule> schedule,
                              const void* input, void* output, DataType dtype, RedOp op,
                              absl::Time deadline, size_t slice_bytes = 0);
  // Memory for the current operation, grown on demand: slot 0 and 1 are independent. Large
  // workspaces come from the process's HugeBufferPool and go back to it when the operation ends
  // (WorkspaceLease), so the engines of one process share them; after a failed transfer the
  // engine keeps its own for good, since late messages may still land there.
  char* Workspace(int slot, size_t bytes);
  void ReturnWorkspaces();
  struct WorkspaceLease {
    explicit WorkspaceLease(NodeEngine& engine) : engine(engine) {}
    ~WorkspaceLease() { engine.ReturnWorkspaces(); }
    NodeEngine& engine;
  };
  // Calls fn(lo, hi) over element ranges covering [0, count) of `dtype`, split across the local
  // workers when the pass is large enough to pay for waking them.
  void ForRanges(size_t count, DataType dtype, absl::FunctionRef<void(size_t, size_t)> fn);
  int World(size_t local_chips) const { return options_.num_nodes * static_cast<int>(local_chips); }

  const NodeEngineOptions options_;
  Executor executor_;
  LocalWorkers local_;
  HugeBuffer workspace_[2];
  bool transfer_failed_ = false;
};

}  // namespace ultracc::collectives
