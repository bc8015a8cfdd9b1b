// Node engine: argument checks shared by every collective, the inter-node run, the error bound,
// and the collectives that move one buffer's worth (all-reduce, broadcast, reduce, barrier).
#include "collectives/node_engine.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "collectives/collective_schedule.h"
#include "collectives/dissemination_barrier.h"
#include "collectives/reduce_kernels.h"

namespace ultracc::collectives {
namespace {

double UnitRoundoff(DataType dtype) {
  switch (dtype) {
    case DataType::kFloat16:
      return std::ldexp(1.0, -11);
    case DataType::kBfloat16:
      return std::ldexp(1.0, -8);
    case DataType::kFloat8e4m3:
      return std::ldexp(1.0, -4);
    case DataType::kFloat8e5m2:
      return std::ldexp(1.0, -3);
    case DataType::kFloat32:
      return std::ldexp(1.0, -24);
    case DataType::kFloat64:
      return std::ldexp(1.0, -53);
    default:
      return 0;
  }
}

double SmallestSubnormal(DataType dtype) {
  switch (dtype) {
    case DataType::kFloat16:
      return std::ldexp(1.0, -24);
    case DataType::kBfloat16:
      return std::ldexp(1.0, -133);
    case DataType::kFloat8e4m3:
      return std::ldexp(1.0, -9);
    case DataType::kFloat8e5m2:
      return std::ldexp(1.0, -16);
    case DataType::kFloat32:
      return std::ldexp(1.0, -149);
    default:
      return std::numeric_limits<double>::denorm_min();
  }
}

bool IsNarrowFloat(DataType dtype) {
  return dtype == DataType::kFloat16 || dtype == DataType::kBfloat16 ||
         dtype == DataType::kFloat8e4m3 || dtype == DataType::kFloat8e5m2;
}

// Puts the input that is `out` (in place) first: ReduceMany lets its output alias only ins[0].
std::vector<const void*> InputsForReduceInto(absl::Span<const void* const> inputs,
                                             const void* out) {
  std::vector<const void*> ordered(inputs.begin(), inputs.end());
  for (size_t i = 1; i < ordered.size(); ++i) {
    if (ordered[i] == out) std::swap(ordered[0], ordered[i]);
  }
  return ordered;
}

}  // namespace

double SumErrorBound(DataType dtype, RedOp op, int num_nodes, int chips_per_node,
                     double sum_of_magnitudes) {
  if (!IsFloatingPoint(dtype)) return 0;
  const bool narrow = IsNarrowFloat(dtype);
  const int local = chips_per_node <= 1 ? 0 : narrow ? 1 : chips_per_node - 1;
  const int roundings = local + (num_nodes - 1) + (op == RedOp::kAvg ? 1 : 0);
  const double u = UnitRoundoff(dtype) + (narrow ? chips_per_node * std::ldexp(1.0, -24) : 0);
  const double gamma = std::pow(1 + u, roundings) - 1;
  double bound = gamma * sum_of_magnitudes + roundings * SmallestSubnormal(dtype) / 2;
  if (op == RedOp::kAvg) bound /= num_nodes * chips_per_node;
  return bound;
}

size_t NodeMessageBytes(CollectiveKind kind, size_t chip_bytes, size_t local_chips) {
  return kind == CollectiveKind::kAllToAll ? chip_bytes * local_chips : chip_bytes;
}

NodeEngine::NodeEngine(const NodeEngineOptions& options)
    : options_(options), executor_(options.transport, [&] {
        ExecutorOptions executor_options;
        executor_options.slice_bytes = options.slice_bytes;
        return executor_options;
      }()),
      local_(options.local_threads) {}

NodeEngine::~NodeEngine() = default;

absl::Status NodeEngine::Invalid(const Call& call, absl::string_view what) const {
  return absl::InvalidArgumentError(absl::StrFormat("node %d: %s op_seq %d: %s", options_.node_rank,
                                                    CollectiveKindName(call.kind), call.op_seq,
                                                    what));
}

absl::Status NodeEngine::CheckCall(const Call& call, size_t num_inputs, size_t num_outputs,
                                   DataType dtype, const RedOp* op) const {
  const int node = options_.node_rank;
  if (options_.num_nodes < 1 || node < 0 || node >= options_.num_nodes) {
    return Invalid(
        call, absl::StrFormat("node_rank %d is outside num_nodes %d", node, options_.num_nodes));
  }
  if (options_.num_nodes > 1) {
    const transport::Transport* t = options_.transport;
    if (t == nullptr) {
      return Invalid(call,
                     absl::StrFormat("num_nodes is %d but transport is null", options_.num_nodes));
    }
    if (t->Rank() != node || t->Size() != options_.num_nodes) {
      return Invalid(
          call, absl::StrFormat("the %s transport is member %d of %d, expected %d of %d", t->Name(),
                                t->Rank(), t->Size(), node, options_.num_nodes));
    }
  }
  if (call.op_seq >> (64 - kExecutorTagBits) != 0) {
    return Invalid(call, absl::StrFormat("op_seq %d does not fit in %d bits", call.op_seq,
                                         64 - kExecutorTagBits));
  }
  if (call.kind == CollectiveKind::kBarrier) return absl::OkStatus();
  if (!IsValidDataType(static_cast<int>(dtype))) {
    return Invalid(call, absl::StrFormat("dtype %d is invalid", static_cast<int>(dtype)));
  }
  if (op != nullptr && !IsValidRedOp(static_cast<int>(*op))) {
    return Invalid(call, absl::StrFormat("op %d is invalid", static_cast<int>(*op)));
  }
  if (num_inputs == 0 || num_inputs != num_outputs) {
    return Invalid(call,
                   absl::StrFormat("inputs has %d buffers and outputs %d; need the same, >= 1",
                                   num_inputs, num_outputs));
  }
  if (num_inputs > static_cast<size_t>(std::numeric_limits<int>::max() / options_.num_nodes) ||
      World(num_inputs) != options_.total_ranks) {
    return Invalid(call, absl::StrFormat("total_ranks is %d but %d nodes x %d local chips make %d",
                                         options_.total_ranks, options_.num_nodes, num_inputs,
                                         options_.num_nodes * num_inputs));
  }
  return absl::OkStatus();
}

absl::Status NodeEngine::CheckPointers(const Call& call, absl::string_view name,
                                       absl::Span<const void* const> pointers,
                                       absl::FunctionRef<bool(size_t)> required) const {
  for (size_t i = 0; i < pointers.size(); ++i) {
    if (pointers[i] == nullptr && required(i)) {
      return Invalid(call, absl::StrFormat("%s[%d] is null", name, i));
    }
  }
  return absl::OkStatus();
}

absl::Status NodeEngine::CheckBytes(const Call& call, absl::string_view what, size_t elements,
                                    size_t factor, DataType dtype) const {
  const size_t unit = DataTypeSize(dtype) * std::max<size_t>(factor, 1);
  if (elements > std::numeric_limits<size_t>::max() / unit) {
    return Invalid(call, absl::StrFormat("%s %d is too large: %d x %d bytes overflows", what,
                                         elements, elements, unit));
  }
  return absl::OkStatus();
}

absl::StatusOr<Algorithm> NodeEngine::Choose(const Call& call, size_t message_bytes,
                                             Algorithm forced) const {
  absl::StatusOr<Algorithm> chosen = ResolveAlgorithm(call.kind, message_bytes, options_.num_nodes,
                                                       forced, options_.chooser.get());
  if (!chosen.ok()) return Invalid(call, chosen.status().message());
  return chosen;
}

absl::Status NodeEngine::RunAcrossNodes(const Call& call, absl::StatusOr<Schedule> schedule,
                                        const void* input, void* output, DataType dtype, RedOp op,
                                        absl::Time deadline, size_t slice_bytes) {
  absl::Status s = schedule.status();
  if (s.ok()) {
    if (schedule->steps.empty()) return absl::OkStatus();
    const ExecBuffers buffers{.input = const_cast<void*>(input), .output = output, .dtype = dtype};
    s = executor_.Run(*schedule, buffers, op, call.op_seq << kExecutorTagBits, deadline,
                      slice_bytes);
  }
  if (s.ok()) return s;
  transfer_failed_ = true;
  return absl::Status(s.code(), absl::StrFormat("node %d: %s op_seq %d of %s: %s",
                                                options_.node_rank, CollectiveKindName(call.kind),
                                                call.op_seq, DataTypeName(dtype), s.message()));
}

void NodeEngine::ForRanges(size_t count, DataType dtype,
                           absl::FunctionRef<void(size_t, size_t)> fn) {
  // Parts of at least 256 KiB, in whole blocks of the reduction kernels (4096 elements).
  constexpr size_t kMinPartBytes = 256 << 10;
  local_.ParallelFor(count, kMinPartBytes / DataTypeSize(dtype), 4096, fn);
}

char* NodeEngine::Workspace(int slot, size_t bytes) {
  HugeBuffer& workspace = workspace_[slot];
  if (workspace.size() < bytes && bytes >= HugeBufferPool::kMinBytes && !transfer_failed_) {
    HugeBuffer taken = HugeBufferPool::Process().Take(bytes);
    if (taken.size() >= bytes) {
      HugeBufferPool::Process().Give(std::move(workspace));
      workspace = std::move(taken);
    }
  }
  return workspace.Reserve(bytes);
}

void NodeEngine::ReturnWorkspaces() {
  if (transfer_failed_) return;
  for (HugeBuffer& workspace : workspace_) {
    if (workspace.size() >= HugeBufferPool::kMinBytes) {
      HugeBufferPool::Process().Give(std::move(workspace));
    }
  }
}

absl::Status NodeEngine::AllReduce(absl::Span<const void* const> inputs,
                                   absl::Span<void* const> outputs, size_t count, DataType dtype,
                                   RedOp op, uint64_t op_seq, absl::Time deadline,
                                   Algorithm algorithm) {
  const Call call{CollectiveKind::kAllReduce, op_seq};
  if (absl::Status s = CheckCall(call, inputs.size(), outputs.size(), dtype, &op); !s.ok())
    return s;
  if (absl::Status s = CheckBytes(call, "count", count, 1, dtype); !s.ok()) return s;
  auto any = [&](size_t) { return count > 0; };
  if (absl::Status s = CheckPointers(call, "inputs", inputs, any); !s.ok()) return s;
  if (absl::Status s = CheckPointers(call, "outputs", outputs, any); !s.ok()) return s;
  const size_t bytes = count * DataTypeSize(dtype);
  absl::StatusOr<Algorithm> chosen = Choose(call, bytes, algorithm);
  if (!chosen.ok()) return chosen.status();
  if (count == 0) return absl::OkStatus();

  char* const result = static_cast<char*>(outputs[0]);
  const size_t element = DataTypeSize(dtype);
  const std::vector<const void*> ordered = InputsForReduceInto(inputs, result);
  // Fans [lo, hi) of the result out to the other outputs: each range's inputs are read before any
  // output of that range is written, so in-place chips are safe.
  auto fan_out = [&](size_t lo, size_t hi) {
    for (size_t i = 1; i < outputs.size(); ++i) {
      if (outputs[i] == result) continue;
      std::memcpy(static_cast<char*>(outputs[i]) + lo * element, result + lo * element,
                  (hi - lo) * element);
    }
  };
  auto reduce = [&](size_t lo, size_t hi) {
    std::vector<const void*> ins(ordered.size());
    for (size_t i = 0; i < ins.size(); ++i) ins[i] = static_cast<const char*>(ordered[i]) + lo * element;
    ReduceMany(dtype, op, result + lo * element, ins, hi - lo);
  };
  if (options_.num_nodes == 1) {
    // One pass: each range is reduced, divided and fanned out while it is in cache.
    ForRanges(count, dtype, [&](size_t lo, size_t hi) {
      reduce(lo, hi);
      if (op == RedOp::kAvg) DivideBy(dtype, result + lo * element, hi - lo, options_.total_ranks);
      fan_out(lo, hi);
    });
    return absl::OkStatus();
  }
  ForRanges(count, dtype, reduce);
  absl::Status s =
      RunAcrossNodes(call,
                     AllReduceSchedule(*chosen, options_.node_rank, options_.num_nodes, count,
                                       GroupMembers(), options_.ring_order),
                     result, result, dtype, op, deadline, SliceFor(call, bytes, *chosen));
  if (!s.ok()) return s;
  ForRanges(count, dtype, [&](size_t lo, size_t hi) {
    if (op == RedOp::kAvg) DivideBy(dtype, result + lo * element, hi - lo, options_.total_ranks);
    fan_out(lo, hi);
  });
  return absl::OkStatus();
}

absl::Status NodeEngine::Broadcast(absl::Span<const void* const> inputs,
                                   absl::Span<void* const> outputs, size_t count, DataType dtype,
                                   int root, uint64_t op_seq, absl::Time deadline,
                                   Algorithm algorithm) {
  const Call call{CollectiveKind::kBroadcast, op_seq};
  if (absl::Status s = CheckCall(call, inputs.size(), outputs.size(), dtype, nullptr); !s.ok()) {
    return s;
  }
  const int chips = static_cast<int>(inputs.size());
  if (root < 0 || root >= World(chips)) {
    return Invalid(call, absl::StrFormat("root %d is outside [0, %d)", root, World(chips)));
  }
  if (absl::Status s = CheckBytes(call, "count", count, 1, dtype); !s.ok()) return s;
  const int root_node = root / chips, root_chip = root % chips;
  const bool root_here = root_node == options_.node_rank;
  auto is_root = [&](size_t i) {
    return count > 0 && root_here && static_cast<int>(i) == root_chip;
  };
  if (absl::Status s = CheckPointers(call, "inputs", inputs, is_root); !s.ok()) return s;
  auto any = [&](size_t) { return count > 0; };
  if (absl::Status s = CheckPointers(call, "outputs", outputs, any); !s.ok()) return s;
  const size_t bytes = count * DataTypeSize(dtype);
  absl::StatusOr<Algorithm> chosen = Choose(call, bytes, algorithm);
  if (!chosen.ok()) return chosen.status();
  if (count == 0) return absl::OkStatus();

  void* const data = outputs[root_here ? root_chip : 0];
  if (root_here && inputs[root_chip] != data) std::memcpy(data, inputs[root_chip], bytes);
  if (options_.num_nodes > 1) {
    absl::Status s = RunAcrossNodes(
        call, BroadcastSchedule(*chosen, options_.node_rank, options_.num_nodes, root_node, count),
        data, data, dtype, RedOp::kSum, deadline);
    if (!s.ok()) return s;
  }
  for (void* output : outputs) {
    if (output != data) std::memcpy(output, data, bytes);
  }
  return absl::OkStatus();
}

absl::Status NodeEngine::Reduce(absl::Span<const void* const> inputs,
                                absl::Span<void* const> outputs, size_t count, DataType dtype,
                                RedOp op, int root, uint64_t op_seq, absl::Time deadline,
                                Algorithm algorithm) {
  const Call call{CollectiveKind::kReduce, op_seq};
  if (absl::Status s = CheckCall(call, inputs.size(), outputs.size(), dtype, &op); !s.ok())
    return s;
  const int chips = static_cast<int>(inputs.size());
  if (root < 0 || root >= World(chips)) {
    return Invalid(call, absl::StrFormat("root %d is outside [0, %d)", root, World(chips)));
  }
  if (absl::Status s = CheckBytes(call, "count", count, 1, dtype); !s.ok()) return s;
  const int root_node = root / chips, root_chip = root % chips;
  const bool root_here = root_node == options_.node_rank;
  auto any = [&](size_t) { return count > 0; };
  auto is_root = [&](size_t i) {
    return count > 0 && root_here && static_cast<int>(i) == root_chip;
  };
  if (absl::Status s = CheckPointers(call, "inputs", inputs, any); !s.ok()) return s;
  if (absl::Status s = CheckPointers(call, "outputs", outputs, is_root); !s.ok()) return s;
  const size_t bytes = count * DataTypeSize(dtype);
  absl::StatusOr<Algorithm> chosen = Choose(call, bytes, algorithm);
  if (!chosen.ok()) return chosen.status();
  if (count == 0) return absl::OkStatus();

  const WorkspaceLease lease(*this);
  void* const result = root_here ? outputs[root_chip] : Workspace(0, bytes);
  ReduceMany(dtype, op, result, InputsForReduceInto(inputs, result), count);
  if (options_.num_nodes > 1) {
    absl::Status s = RunAcrossNodes(
        call, ReduceSchedule(*chosen, options_.node_rank, options_.num_nodes, root_node, count),
        result, result, dtype, op, deadline, SliceFor(call, bytes, *chosen));
    if (!s.ok()) return s;
  }
  if (root_here && op == RedOp::kAvg) DivideBy(dtype, result, count, options_.total_ranks);
  return absl::OkStatus();
}

absl::Status NodeEngine::Barrier(uint64_t op_seq, absl::Time deadline) {
  const Call call{CollectiveKind::kBarrier, op_seq};
  if (absl::Status s = CheckCall(call, 0, 0, DataType::kUint8, nullptr); !s.ok()) return s;
  if (options_.num_nodes == 1) return absl::OkStatus();
  char nothing = 0;
  return RunAcrossNodes(call, DisseminationBarrier(options_.node_rank, options_.num_nodes),
                        &nothing, &nothing, DataType::kUint8, RedOp::kSum, deadline);
}

}  // namespace ultracc::collectives
