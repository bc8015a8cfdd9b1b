// Node engine all-to-all and all-to-allv: local blocks are packed into one message per pair of
// nodes (source chip major, then destination chip), exchanged, and unpacked.
#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/strings/str_format.h"
#include "collectives/all_to_all_layout.h"
#include "collectives/collective_schedule.h"
#include "collectives/node_engine.h"

namespace ultracc::collectives {

absl::Status NodeEngine::AllToAll(absl::Span<const void* const> inputs,
                                  absl::Span<void* const> outputs, size_t count, DataType dtype,
                                  uint64_t op_seq, absl::Time deadline, Algorithm algorithm) {
  const Call call{CollectiveKind::kAllToAll, op_seq};
  if (absl::Status s = CheckCall(call, inputs.size(), outputs.size(), dtype, nullptr); !s.ok()) {
    return s;
  }
  const size_t chips = inputs.size();
  const size_t world = static_cast<size_t>(World(chips));
  if (absl::Status s = CheckBytes(call, "count", count, world * chips, dtype); !s.ok()) return s;
  auto any = [&](size_t) { return count > 0; };
  if (absl::Status s = CheckPointers(call, "inputs", inputs, any); !s.ok()) return s;
  if (absl::Status s = CheckPointers(call, "outputs", outputs, any); !s.ok()) return s;
  const size_t element = DataTypeSize(dtype);
  const int nodes = options_.num_nodes, node = options_.node_rank;
  const size_t node_block = chips * chips * count;  // what one node sends another
  absl::StatusOr<Algorithm> chosen =
      Choose(call, NodeMessageBytes(call.kind, world * count * element, chips), algorithm);
  if (!chosen.ok()) return chosen.status();
  if (count == 0) return absl::OkStatus();

  if (chips == 1 && inputs[0] != outputs[0]) {
    return RunAcrossNodes(call, AllToAllSchedule(*chosen, node, nodes, count), inputs[0],
                          outputs[0], dtype, RedOp::kSum, deadline);
  }
  const size_t block_bytes = count * element;
  // Blocks between chips of this node go straight from input to output, one copy each, unless
  // some chip's buffers overlap (then everything goes through the workspace, read before written).
  bool distinct = true;
  for (size_t i = 0; i < chips; ++i) {
    const char* in = static_cast<const char*>(inputs[i]);
    for (size_t k = 0; k < chips; ++k) {
      const char* out = static_cast<const char*>(outputs[k]);
      const size_t extent = world * block_bytes;
      if (in < out + extent && out < in + extent) distinct = false;
    }
  }
  const size_t m_local = static_cast<size_t>(node);
  // Position of the block from source chip i to destination chip k in node m's part.
  auto at = [&](char* base, size_t m, size_t i, size_t k) {
    return base + ((m * chips + i) * chips + k) * block_bytes;
  };
  // Runs fn(m, i, k) for every block of the nodes `want` selects, split across the local workers.
  auto for_blocks = [&](auto want, auto fn) {
    const size_t blocks = static_cast<size_t>(nodes) * chips * chips;
    const size_t per_block = std::max<size_t>(count, 1);
    ForRanges(blocks * per_block, dtype, [&](size_t lo, size_t hi) {
      // A block belongs to the range its first element falls in.
      for (size_t b = (lo + per_block - 1) / per_block; b < blocks && b * per_block < hi; ++b) {
        const size_t m = b / (chips * chips), i = b / chips % chips, k = b % chips;
        if (want(m)) fn(m, i, k);
      }
    });
  };
  auto input_block = [&](size_t m, size_t i, size_t k) {
    return static_cast<const char*>(inputs[i]) + (m * chips + k) * block_bytes;
  };
  auto output_block = [&](size_t m, size_t i, size_t k) {
    return static_cast<char*>(outputs[k]) + (m * chips + i) * block_bytes;
  };
  auto remote = [&](size_t m) { return !distinct || m != m_local; };
  if (distinct) {
    for_blocks([&](size_t m) { return m == m_local; }, [&](size_t m, size_t i, size_t k) {
      std::memcpy(output_block(m, i, k), input_block(m, i, k), block_bytes);
    });
    if (nodes == 1) return absl::OkStatus();
  }
  const WorkspaceLease lease(*this);
  char* const packed = Workspace(0, nodes * node_block * element);
  char* const received = Workspace(1, nodes * node_block * element);
  for_blocks(remote, [&](size_t m, size_t i, size_t k) {
    std::memcpy(at(packed, m, i, k), input_block(m, i, k), block_bytes);
  });
  absl::Status s = RunAcrossNodes(call, AllToAllSchedule(*chosen, node, nodes, node_block), packed,
                                  received, dtype, RedOp::kSum, deadline);
  if (!s.ok()) return s;
  for_blocks(remote, [&](size_t m, size_t i, size_t k) {
    std::memcpy(output_block(m, i, k), at(received, m, i, k), block_bytes);
  });
  return absl::OkStatus();
}

absl::Status NodeEngine::AllToAllv(absl::Span<const void* const> inputs,
                                   absl::Span<const size_t* const> send_counts,
                                   absl::Span<const size_t* const> send_displs,
                                   absl::Span<void* const> outputs,
                                   absl::Span<const size_t* const> recv_counts,
                                   absl::Span<const size_t* const> recv_displs, DataType dtype,
                                   uint64_t op_seq, absl::Time deadline, Algorithm algorithm) {
  const Call call{CollectiveKind::kAllToAllv, op_seq};
  if (absl::Status s = CheckCall(call, inputs.size(), outputs.size(), dtype, nullptr); !s.ok()) {
    return s;
  }
  const size_t chips = inputs.size();
  const size_t world = static_cast<size_t>(World(chips));
  const std::pair<absl::string_view, absl::Span<const size_t* const>> arrays[] = {
      {"send_counts", send_counts},
      {"send_displs", send_displs},
      {"recv_counts", recv_counts},
      {"recv_displs", recv_displs}};
  for (const auto& [name, array] : arrays) {
    if (array.size() != chips) {
      return Invalid(call, absl::StrFormat("%s has %d arrays; need one per local chip (%d)", name,
                                           array.size(), chips));
    }
    for (size_t i = 0; i < chips; ++i) {
      if (array[i] == nullptr) return Invalid(call, absl::StrFormat("%s[%d] is null", name, i));
    }
  }
  const int nodes = options_.num_nodes, node = options_.node_rank;
  const size_t element = DataTypeSize(dtype);
  // Each chip's layout, checked, and the node-level layout of the packed messages.
  std::vector<AllToAllLayout> chip(chips);
  AllToAllLayout packed_layout = UniformAllToAllLayout(nodes, 0);
  size_t send_total = 0, recv_total = 0;
  for (size_t i = 0; i < chips; ++i) {
    chip[i].send_counts.assign(send_counts[i], send_counts[i] + world);
    chip[i].send_displs.assign(send_displs[i], send_displs[i] + world);
    chip[i].recv_counts.assign(recv_counts[i], recv_counts[i] + world);
    chip[i].recv_displs.assign(recv_displs[i], recv_displs[i] + world);
    const int rank = static_cast<int>(node * chips + i);
    if (absl::Status s = ValidateAllToAllLayout(chip[i], rank, static_cast<int>(world)); !s.ok()) {
      return Invalid(call, absl::StrFormat("local chip %d: %s", i, s.message()));
    }
    if (chip[i].InputExtent() > 0 && inputs[i] == nullptr) {
      return Invalid(call,
                     absl::StrFormat("inputs[%d] is null but its send_counts are not all 0", i));
    }
    if (chip[i].OutputExtent() > 0 && outputs[i] == nullptr) {
      return Invalid(call,
                     absl::StrFormat("outputs[%d] is null but its recv_counts are not all 0", i));
    }
    for (size_t k = 0; k < chips; ++k) {
      const size_t sent = send_counts[i][node * chips + k];
      const size_t expected = recv_counts[k][node * chips + i];
      if (sent != expected) {
        return Invalid(
            call, absl::StrFormat("send_counts[%d][%d] = %d but recv_counts[%d][%d] = %d (local "
                                  "chips %d and %d disagree)",
                                  i, node * chips + k, sent, k, node * chips + i, expected, i, k));
      }
    }
  }
  for (int m = 0; m < nodes; ++m) {
    size_t sends = 0, receives = 0;
    for (size_t i = 0; i < chips; ++i) {
      for (size_t k = 0; k < chips; ++k) {
        sends += send_counts[i][m * chips + k];
        receives += recv_counts[k][m * chips + i];
      }
    }
    packed_layout.send_counts[m] = sends;
    packed_layout.send_displs[m] = send_total;
    packed_layout.recv_counts[m] = receives;
    packed_layout.recv_displs[m] = recv_total;
    send_total += sends;
    recv_total += receives;
  }
  absl::StatusOr<Algorithm> chosen = Choose(call, send_total * element, algorithm);
  if (!chosen.ok()) return chosen.status();

  if (chips == 1 && inputs[0] != outputs[0]) {
    return RunAcrossNodes(call, AllToAllvSchedule(*chosen, node, nodes, chip[0]), inputs[0],
                          outputs[0], dtype, RedOp::kSum, deadline);
  }
  const WorkspaceLease lease(*this);
  char* const packed = Workspace(0, send_total * element);
  char* const received = Workspace(1, recv_total * element);
  for (int m = 0; m < nodes; ++m) {
    char* to = packed + packed_layout.send_displs[m] * element;
    for (size_t i = 0; i < chips; ++i) {
      for (size_t k = 0; k < chips; ++k) {
        const size_t bytes = send_counts[i][m * chips + k] * element;
        if (bytes == 0) continue;
        std::memcpy(to,
                    static_cast<const char*>(inputs[i]) + send_displs[i][m * chips + k] * element,
                    bytes);
        to += bytes;
      }
    }
  }
  absl::Status s = RunAcrossNodes(call, AllToAllvSchedule(*chosen, node, nodes, packed_layout),
                                  packed, received, dtype, RedOp::kSum, deadline);
  if (!s.ok()) return s;
  for (int m = 0; m < nodes; ++m) {
    const char* from = received + packed_layout.recv_displs[m] * element;
    for (size_t i = 0; i < chips; ++i) {
      for (size_t k = 0; k < chips; ++k) {
        const size_t bytes = recv_counts[k][m * chips + i] * element;
        if (bytes == 0) continue;
        std::memcpy(static_cast<char*>(outputs[k]) + recv_displs[k][m * chips + i] * element, from,
                    bytes);
        from += bytes;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace ultracc::collectives
