// Node engine reduce-scatter and all-gather: the collectives whose result is one block per rank,
// with node blocks of C consecutive rank blocks crossing the transport.
#include <algorithm>
#include <cstring>

#include "absl/strings/str_format.h"
#include "collectives/collective_schedule.h"
#include "collectives/node_engine.h"
#include "collectives/reduce_kernels.h"

namespace ultracc::collectives {

absl::Status NodeEngine::ReduceScatter(absl::Span<const void* const> inputs,
                                       absl::Span<void* const> outputs, size_t recvcount,
                                       DataType dtype, RedOp op, uint64_t op_seq,
                                       absl::Time deadline, Algorithm algorithm) {
  const Call call{CollectiveKind::kReduceScatter, op_seq};
  if (absl::Status s = CheckCall(call, inputs.size(), outputs.size(), dtype, &op); !s.ok())
    return s;
  const size_t chips = inputs.size();
  const size_t world = static_cast<size_t>(World(chips));
  if (absl::Status s = CheckBytes(call, "recvcount", recvcount, world, dtype); !s.ok()) return s;
  auto any = [&](size_t) { return recvcount > 0; };
  if (absl::Status s = CheckPointers(call, "inputs", inputs, any); !s.ok()) return s;
  if (absl::Status s = CheckPointers(call, "outputs", outputs, any); !s.ok()) return s;
  const size_t element = DataTypeSize(dtype);
  const size_t total = world * recvcount;
  absl::StatusOr<Algorithm> chosen = Choose(call, total * element, algorithm);
  if (!chosen.ok()) return chosen.status();
  if (recvcount == 0) return absl::OkStatus();

  const size_t node_block = chips * recvcount;
  if (options_.num_nodes == 1) {
    // Each chip's block straight into its output: the inputs' block i, with the input the output
    // lies in (in place) first, since ReduceMany lets its output alias only its first input.
    ForRanges(total, dtype, [&](size_t lo, size_t hi) {
      std::vector<const void*> ins(chips);
      for (size_t i = lo / recvcount; i < chips && i * recvcount < hi; ++i) {
        const size_t from = std::max(lo, i * recvcount), to = std::min(hi, (i + 1) * recvcount);
        char* const out = static_cast<char*>(outputs[i]) + (from - i * recvcount) * element;
        for (size_t k = 0; k < chips; ++k) {
          ins[k] = static_cast<const char*>(inputs[k]) + from * element;
        }
        for (size_t k = 1; k < chips; ++k) {
          if (ins[k] == out) std::swap(ins[0], ins[k]);
        }
        ReduceMany(dtype, op, out, ins, to - from);
        if (op == RedOp::kAvg) DivideBy(dtype, out, to - from, options_.total_ranks);
      }
    });
    return absl::OkStatus();
  }
  // The node's partial sums go to a workspace: outputs hold one block, and in place an output lies
  // inside its own input, which the local reduce still has to read.
  const WorkspaceLease lease(*this);
  char* const partial = Workspace(0, total * element);
  ForRanges(total, dtype, [&](size_t lo, size_t hi) {
    std::vector<const void*> ins(chips);
    for (size_t k = 0; k < chips; ++k) ins[k] = static_cast<const char*>(inputs[k]) + lo * element;
    ReduceMany(dtype, op, partial + lo * element, ins, hi - lo);
  });
  if (options_.num_nodes > 1) {
    absl::Status s = RunAcrossNodes(
        call,
        ReduceScatterSchedule(*chosen, options_.node_rank, options_.num_nodes, node_block,
                              GroupMembers(), options_.ring_order),
        partial, partial, dtype, op, deadline, SliceFor(call, total * element, *chosen));
    if (!s.ok()) return s;
  }
  char* const mine = partial + options_.node_rank * node_block * element;
  if (op == RedOp::kAvg) DivideBy(dtype, mine, node_block, options_.total_ranks);
  for (size_t i = 0; i < chips; ++i) {
    std::memcpy(outputs[i], mine + i * recvcount * element, recvcount * element);
  }
  return absl::OkStatus();
}

absl::Status NodeEngine::AllGather(absl::Span<const void* const> inputs,
                                   absl::Span<void* const> outputs, size_t sendcount,
                                   DataType dtype, uint64_t op_seq, absl::Time deadline,
                                   Algorithm algorithm) {
  const Call call{CollectiveKind::kAllGather, op_seq};
  if (absl::Status s = CheckCall(call, inputs.size(), outputs.size(), dtype, nullptr); !s.ok()) {
    return s;
  }
  const size_t chips = inputs.size();
  const size_t world = static_cast<size_t>(World(chips));
  if (absl::Status s = CheckBytes(call, "sendcount", sendcount, world, dtype); !s.ok()) return s;
  auto any = [&](size_t) { return sendcount > 0; };
  if (absl::Status s = CheckPointers(call, "inputs", inputs, any); !s.ok()) return s;
  if (absl::Status s = CheckPointers(call, "outputs", outputs, any); !s.ok()) return s;
  const size_t element = DataTypeSize(dtype);
  const size_t total_bytes = world * sendcount * element;
  absl::StatusOr<Algorithm> chosen = Choose(call, total_bytes, algorithm);
  if (!chosen.ok()) return chosen.status();
  if (sendcount == 0) return absl::OkStatus();

  // Gather in outputs[0]; an in-place input there is already at its place (memmove of itself).
  char* const gathered = static_cast<char*>(outputs[0]);
  const size_t block_bytes = sendcount * element;
  const size_t first_rank = static_cast<size_t>(options_.node_rank) * chips;
  for (size_t i = 0; i < chips; ++i) {
    std::memmove(gathered + (first_rank + i) * block_bytes, inputs[i], block_bytes);
  }
  if (options_.num_nodes > 1) {
    absl::Status s =
        RunAcrossNodes(call,
                       AllGatherSchedule(*chosen, options_.node_rank, options_.num_nodes,
                                         chips * sendcount, GroupMembers(), options_.ring_order),
                       gathered, gathered, dtype, RedOp::kSum, deadline);
    if (!s.ok()) return s;
  }
  ForRanges(total_bytes / element, dtype, [&](size_t lo, size_t hi) {
    for (size_t i = 1; i < chips; ++i) {
      if (outputs[i] == gathered) continue;
      std::memcpy(static_cast<char*>(outputs[i]) + lo * element, gathered + lo * element,
                  (hi - lo) * element);
    }
  });
  return absl::OkStatus();
}

}  // namespace ultracc::collectives
