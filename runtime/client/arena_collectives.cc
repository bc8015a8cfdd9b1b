// Collectives run over the ranks' arenas; see arena_collectives.h.
#include "runtime/client/arena_collectives.h"

#include <cstring>
#include <vector>

#include "collectives/reduce_kernels.h"

namespace ultracc::client {
namespace {

using submission::BoardBuffers;
using submission::OpKind;

bool Inside(const char* arena, size_t arena_bytes, const void* p, size_t bytes) {
  const char* c = static_cast<const char*>(p);
  return c >= arena && bytes <= arena_bytes &&
         static_cast<size_t>(c - arena) <= arena_bytes - bytes;
}

bool Apart(const char* a, size_t a_bytes, const char* b, size_t b_bytes) {
  return a + a_bytes <= b || b + b_bytes <= a;
}

// Whether the buffers of `op` on `rank` are apart or in place as the collective defines it.
bool SharedSafely(const submission::Operation& op, int rank, size_t send_bytes, size_t recv_bytes) {
  const char* send = static_cast<const char*>(op.send);
  const char* recv = static_cast<const char*>(op.recv);
  if (send_bytes == 0 || recv_bytes == 0 || Apart(send, send_bytes, recv, recv_bytes)) return true;
  const size_t block = op.count * collectives::DataTypeSize(op.dtype);
  switch (op.kind) {
    case OpKind::kAllReduce:
    case OpKind::kBroadcast:
    case OpKind::kReduce:
      return send == recv;
    case OpKind::kReduceScatter:
      return send + static_cast<size_t>(rank) * block == recv;
    case OpKind::kAllGather:
      return recv + static_cast<size_t>(rank) * block == send;
    default:
      return false;
  }
}

// Rank p's buffers of the collective, in this process.
struct Peers {
  const submission::NodeBoard& board;
  uint64_t sequence;
  absl::Span<char* const> arenas;
  const char* send(int p) const { return arenas[p] + board.BuffersOf(p, sequence).send_offset; }
  char* recv(int p) const { return arenas[p] + board.BuffersOf(p, sequence).recv_offset; }
};

// out[0, count) = the reduction of every rank's input at element `first`, node by node (runs of
// `node_ranks` ranks) and then across nodes, so that the rounding bound is a node engine's.
void ReduceSlice(const submission::Operation& op, const Peers& peers, int ranks, int node_ranks,
                 size_t first, size_t count, char* out) {
  if (count == 0) return;
  const size_t element = collectives::DataTypeSize(op.dtype);
  std::vector<const void*> ins(static_cast<size_t>(ranks));
  for (int p = 0; p < ranks; ++p) ins[p] = peers.send(p) + first * element;
  const collectives::RedOp reduce =
      op.op == collectives::RedOp::kAvg ? collectives::RedOp::kSum : op.op;
  collectives::ReduceInGroups(op.dtype, reduce, out, ins, count, static_cast<size_t>(node_ranks));
  if (op.op == collectives::RedOp::kAvg) collectives::DivideBy(op.dtype, out, count, ranks);
}

void CopyUnlessSame(char* to, const char* from, size_t bytes) {
  if (to != from && bytes > 0) std::memcpy(to, from, bytes);
}

}  // namespace

BoardBuffers ArenaBuffers(const submission::Operation& op, int rank, int world, const char* arena,
                          size_t arena_bytes) {
  BoardBuffers b;
  switch (op.kind) {
    case OpKind::kAllReduce:
    case OpKind::kReduceScatter:
    case OpKind::kAllGather:
    case OpKind::kAllToAll:
    case OpKind::kBroadcast:
    case OpKind::kReduce:
      break;
    default:
      return b;
  }
  if (arena == nullptr) return b;
  const size_t element = collectives::DataTypeSize(op.dtype);
  const submission::Extents e = submission::BufferExtents(op, rank, world);
  const size_t send_bytes = e.send * element, recv_bytes = e.recv * element;
  if (send_bytes > 0) {
    if (!Inside(arena, arena_bytes, op.send, send_bytes)) return b;
    b.send_offset = static_cast<uint64_t>(static_cast<const char*>(op.send) - arena);
  }
  if (recv_bytes > 0) {
    if (!Inside(arena, arena_bytes, op.recv, recv_bytes)) return b;
    b.recv_offset = static_cast<uint64_t>(static_cast<const char*>(op.recv) - arena);
  }
  b.reachable = SharedSafely(op, rank, send_bytes, recv_bytes);
  return b;
}

bool AllReachable(const submission::NodeBoard& board, const submission::Operation& op) {
  for (int p = 0; p < board.ranks(); ++p) {
    if (!board.BuffersOf(p, op.sequence).reachable) return false;
  }
  return true;
}

void RunOverArenas(const submission::NodeBoard& board, const submission::Operation& op, int rank,
                   int node_ranks, absl::Span<char* const> arenas) {
  const int n = board.ranks();
  const size_t element = collectives::DataTypeSize(op.dtype);
  const size_t block = op.count * element;
  if (block == 0) return;
  const Peers peers{board, op.sequence, arenas};
  // All-reduce and reduce: this rank's slice of the elements.
  const size_t first = op.count * static_cast<size_t>(rank) / n;
  const size_t last = op.count * static_cast<size_t>(rank + 1) / n;
  const size_t slice = (last - first) * element;
  switch (op.kind) {
    case OpKind::kAllReduce: {
      char* mine = peers.recv(rank) + first * element;
      ReduceSlice(op, peers, n, node_ranks, first, last - first, mine);
      for (int p = 0; p < n; ++p) {
        if (p != rank) CopyUnlessSame(peers.recv(p) + first * element, mine, slice);
      }
      break;
    }
    case OpKind::kReduce:
      ReduceSlice(op, peers, n, node_ranks, first, last - first,
                  peers.recv(op.root_or_peer) + first * element);
      break;
    case OpKind::kReduceScatter:
      ReduceSlice(op, peers, n, node_ranks, static_cast<size_t>(rank) * op.count, op.count,
                  peers.recv(rank));
      break;
    case OpKind::kAllGather:
      for (int p = 0; p < n; ++p) {
        CopyUnlessSame(peers.recv(rank) + static_cast<size_t>(p) * block, peers.send(p), block);
      }
      break;
    case OpKind::kAllToAll:
      for (int p = 0; p < n; ++p) {
        CopyUnlessSame(peers.recv(rank) + static_cast<size_t>(p) * block,
                       peers.send(p) + static_cast<size_t>(rank) * block, block);
      }
      break;
    case OpKind::kBroadcast:
      CopyUnlessSame(peers.recv(rank), peers.send(op.root_or_peer), block);
      break;
    default:
      break;
  }
}

}  // namespace ultracc::client
