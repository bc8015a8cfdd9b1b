// Node engine all-reduce: local reduce, inter-node ring, average, fan-out.
#include "collectives/node_engine.h"

#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "collectives/reduce_kernels.h"
#include "collectives/ring.h"

namespace ultracc::collectives {

NodeEngine::NodeEngine(const NodeEngineOptions& options)
    : options_(options),
      executor_(options.transport, [&] {
        ExecutorOptions executor_options;
        executor_options.slice_bytes = options.slice_bytes;
        return executor_options;
      }()) {}

absl::Status NodeEngine::CheckAllReduceArguments(absl::Span<const void* const> inputs,
                                                 absl::Span<void* const> outputs, size_t count,
                                                 DataType dtype, RedOp op,
                                                 uint64_t op_seq) const {
  const int node = options_.node_rank;
  auto invalid = [&](const std::string& what) {
    return absl::InvalidArgumentError(
        absl::StrFormat("node %d: all-reduce op_seq %d: %s", node, op_seq, what));
  };
  if (options_.num_nodes < 1 || node < 0 || node >= options_.num_nodes) {
    return invalid(absl::StrFormat("node_rank %d is outside num_nodes %d", node,
                                   options_.num_nodes));
  }
  if (options_.total_ranks < 1) {
    return invalid(absl::StrFormat("total_ranks is %d; need at least 1", options_.total_ranks));
  }
  if (options_.num_nodes > 1) {
    const transport::Transport* t = options_.transport;
    if (t == nullptr) {
      return invalid(absl::StrFormat("num_nodes is %d but transport is null", options_.num_nodes));
    }
    if (t->Rank() != node || t->Size() != options_.num_nodes) {
      return invalid(absl::StrFormat("the %s transport is member %d of %d, expected %d of %d",
                                     t->Name(), t->Rank(), t->Size(), node, options_.num_nodes));
    }
  }
  if (!IsValidDataType(static_cast<int>(dtype))) {
    return invalid(absl::StrFormat("dtype %d is invalid", static_cast<int>(dtype)));
  }
  if (!IsValidRedOp(static_cast<int>(op))) {
    return invalid(absl::StrFormat("op %d is invalid", static_cast<int>(op)));
  }
  if (op_seq >> (64 - kExecutorTagBits) != 0) {
    return invalid(absl::StrFormat("op_seq %d does not fit in %d bits", op_seq,
                                   64 - kExecutorTagBits));
  }
  if (inputs.empty() || inputs.size() != outputs.size()) {
    return invalid(absl::StrFormat("inputs has %d buffers and outputs %d; need the same, >= 1",
                                   inputs.size(), outputs.size()));
  }
  if (count > 0) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i] == nullptr) return invalid(absl::StrFormat("inputs[%d] is null", i));
      if (outputs[i] == nullptr) return invalid(absl::StrFormat("outputs[%d] is null", i));
    }
  }
  return absl::OkStatus();
}

absl::Status NodeEngine::AllReduce(absl::Span<const void* const> inputs,
                                   absl::Span<void* const> outputs, size_t count, DataType dtype,
                                   RedOp op, uint64_t op_seq, absl::Time deadline) {
  if (absl::Status s = CheckAllReduceArguments(inputs, outputs, count, dtype, op, op_seq);
      !s.ok()) {
    return s;
  }
  if (count == 0) return absl::OkStatus();
  void* const result = outputs[0];

  // ReduceMany lets its output alias only its first input, so an input that is outputs[0] (chip 0
  // in place) goes first; the ops are commutative.
  std::vector<const void*> ordered(inputs.begin(), inputs.end());
  for (size_t i = 1; i < ordered.size(); ++i) {
    if (ordered[i] == result) std::swap(ordered[0], ordered[i]);
  }
  ReduceMany(dtype, op, result, ordered, count);

  if (options_.num_nodes > 1) {
    const Schedule schedule = RingAllReduce(options_.node_rank, options_.num_nodes, count);
    const ExecBuffers buffers{.input = result, .output = result, .dtype = dtype};
    absl::Status s = executor_.Run(schedule, buffers, op, op_seq << kExecutorTagBits, deadline);
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrFormat("node %d: all-reduce op_seq %d of %d %s: %s",
                                                    options_.node_rank, op_seq, count,
                                                    DataTypeName(dtype), s.message()));
    }
  }

  if (op == RedOp::kAvg) DivideBy(dtype, result, count, options_.total_ranks);
  const size_t bytes = count * DataTypeSize(dtype);
  for (size_t i = 1; i < outputs.size(); ++i) {
    if (outputs[i] != result) std::memcpy(outputs[i], result, bytes);
  }
  return absl::OkStatus();
}

}  // namespace ultracc::collectives
