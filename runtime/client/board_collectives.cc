// Small collectives computed by each rank from the call board; see board_collectives.h.
#include "runtime/client/board_collectives.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "collectives/reduce_kernels.h"

namespace ultracc::client {
namespace {

using submission::NodeBoard;
using submission::OpKind;

// The reduction of every rank's input at `offset` (bytes) into `out`, node by node (runs of
// `node_ranks` ranks) and then across nodes, in the same order on every rank so that all compute
// the same bits.
void ReduceInputs(const submission::NodeBoard& board, const submission::Operation& op,
                  int node_ranks, size_t offset, void* out) {
  std::vector<const void*> ins(static_cast<size_t>(board.ranks()));
  for (int r = 0; r < board.ranks(); ++r) ins[r] = board.InputOf(r, op.sequence) + offset;
  const collectives::RedOp reduce =
      op.op == collectives::RedOp::kAvg ? collectives::RedOp::kSum : op.op;
  collectives::ReduceInGroups(op.dtype, reduce, out, ins, op.count,
                              static_cast<size_t>(node_ranks));
  if (op.op == collectives::RedOp::kAvg) {
    collectives::DivideBy(op.dtype, out, op.count, board.ranks());
  }
}

}  // namespace

bool RunsOnBoard(const submission::Operation& op, int world, size_t limit) {
  const size_t element = collectives::DataTypeSize(op.dtype);
  const size_t n = static_cast<size_t>(world);
  // count * factor <= bound, without overflow.
  auto fits = [&](size_t factor, size_t bound) { return op.count <= bound / factor; };
  switch (op.kind) {
    case OpKind::kBarrier:
      return true;
    case OpKind::kBroadcast:  // every rank reads the root's input
      return fits(element, std::min(limit, NodeBoard::kPayloadBytes));
    case OpKind::kAllReduce:  // every rank reads every rank's input
    case OpKind::kReduce:
    case OpKind::kAllGather:
      return fits(element, NodeBoard::kPayloadBytes) && fits(element * n, limit);
    case OpKind::kReduceScatter:  // every rank posts a block per rank and reads one from each
    case OpKind::kAllToAll:
      return fits(element * n, std::min(limit, NodeBoard::kPayloadBytes));
    default:
      return false;
  }
}

size_t BoardInputBytes(const submission::Operation& op, int rank, int world) {
  return submission::BufferExtents(op, rank, world).send * collectives::DataTypeSize(op.dtype);
}

void FinishOnBoard(const submission::NodeBoard& board, const submission::Operation& op, int rank,
                   int node_ranks) {
  const size_t block = op.count * collectives::DataTypeSize(op.dtype);
  if (block == 0) return;  // the barrier, and empty calls (whose buffers may be null)
  char* out = static_cast<char*>(op.recv);
  switch (op.kind) {
    case OpKind::kAllReduce:
      ReduceInputs(board, op, node_ranks, 0, out);
      break;
    case OpKind::kReduce:
      if (rank == op.root_or_peer) ReduceInputs(board, op, node_ranks, 0, out);
      break;
    case OpKind::kReduceScatter:
      ReduceInputs(board, op, node_ranks, static_cast<size_t>(rank) * block, out);
      break;
    case OpKind::kAllGather:
      for (int r = 0; r < board.ranks(); ++r) {
        std::memcpy(out + static_cast<size_t>(r) * block, board.InputOf(r, op.sequence), block);
      }
      break;
    case OpKind::kAllToAll:
      for (int r = 0; r < board.ranks(); ++r) {
        std::memcpy(out + static_cast<size_t>(r) * block,
                    board.InputOf(r, op.sequence) + static_cast<size_t>(rank) * block, block);
      }
      break;
    case OpKind::kBroadcast:
      std::memcpy(out, board.InputOf(op.root_or_peer, op.sequence), block);
      break;
    default:
      break;
  }
}

}  // namespace ultracc::client
