// Collectives the ranks of one node run over each other's arenas: every kind at several rank counts
// and odd counts, out of place and in place, against straightforward loops (ranks run their shares
// one after another here, one of the orders the real ranks may take); and which buffers may be
// shared. Every dtype and op runs this way in the launched one-node jobs of the API matrix
// (ApiDaemon.1xN, whose large cases use ultraccMemAlloc buffers).
#include "runtime/client/arena_collectives.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/local_board.h"

namespace ultracc::client {
namespace {

using collectives::DataType;
using collectives::RedOp;
using submission::BoardBuffers;
using submission::NodeBoard;
using submission::Operation;
using submission::OpKind;
using ::ultracc::testing::BoardInput;
using ::ultracc::testing::ReducedBoardInput;

constexpr size_t kArenaBytes = 1 << 20;
constexpr size_t kSendAt = 4096;     // where a rank's send buffer starts in its arena
constexpr size_t kRecvAt = 1 << 19;  // and its receive buffer, when apart

// `ranks` arenas and a board; runs `kind` of int32 and returns each rank's receive extent.
std::vector<std::vector<int32_t>> RunOverTestArenas(OpKind kind, int ranks, size_t count, RedOp op,
                                                    int root, bool in_place) {
  const size_t n = static_cast<size_t>(ranks);
  std::vector<std::vector<char>> arenas(n, std::vector<char>(kArenaBytes, 0));
  std::vector<char*> bases(n);
  ::ultracc::testing::LocalBoard local(ranks);
  NodeBoard& board = local.board;
  std::vector<Operation> ops(n);
  for (int r = 0; r < ranks; ++r) {
    bases[r] = arenas[r].data();
    Operation& o = ops[r];
    o.kind = kind;
    o.count = count;
    o.dtype = DataType::kInt32;
    o.op = op;
    o.root_or_peer = root;
    o.sequence = 3;
    const submission::Extents e = submission::BufferExtents(o, r, ranks);
    int32_t* send = reinterpret_cast<int32_t*>(bases[r] + kSendAt);
    int32_t* recv = reinterpret_cast<int32_t*>(bases[r] + kRecvAt);
    if (in_place && kind == OpKind::kAllGather) {
      recv = send;
      send = recv + r * count;
    } else if (in_place && kind == OpKind::kReduceScatter) {
      recv = send + r * count;
    } else if (in_place) {
      recv = send;
    }
    for (size_t i = 0; i < e.recv; ++i) recv[i] = -1;
    for (size_t i = 0; i < e.send; ++i) send[i] = BoardInput(r, i);
    o.send = send;
    o.recv = recv;
    const BoardBuffers b = ArenaBuffers(o, r, ranks, bases[r], kArenaBytes);
    EXPECT_TRUE(b.reachable) << "rank " << r;
    board.Post(r, o.sequence, {}, nullptr, 0, b);
  }
  EXPECT_TRUE(board.AwaitAll(3, absl::Now()).ok());
  EXPECT_TRUE(AllReachable(board, ops[0]));
  for (int r = 0; r < ranks; ++r) RunOverArenas(board, ops[r], r, /*node_ranks=*/ranks, bases);
  std::vector<std::vector<int32_t>> out(n);
  for (int r = 0; r < ranks; ++r) {
    const size_t extent = submission::BufferExtents(ops[r], r, ranks).recv;
    const int32_t* p = static_cast<const int32_t*>(ops[r].recv);
    out[r].assign(p, p + extent);
    if (!in_place) {
      EXPECT_EQ(p[extent], 0) << "rank " << r << " past its receive extent";
    }
  }
  return out;
}

class ArenaCollectivesTest : public ::testing::TestWithParam<std::tuple<int, size_t, bool>> {};

TEST_P(ArenaCollectivesTest, EveryKindMatchesTheReference) {
  const auto [ranks, count, in_place] = GetParam();
  const size_t n = static_cast<size_t>(ranks);
  for (RedOp op : {RedOp::kSum, RedOp::kMax, RedOp::kAvg}) {
    SCOPED_TRACE(absl::StrCat("op ", collectives::RedOpName(op)));
    auto all = RunOverTestArenas(OpKind::kAllReduce, ranks, count, op, -1, in_place);
    for (int r = 0; r < ranks; ++r) {
      for (size_t i = 0; i < count; ++i) {
        ASSERT_EQ(all[r][i], ReducedBoardInput(op, ranks, i)) << r << " " << i;
      }
    }
    auto rs = RunOverTestArenas(OpKind::kReduceScatter, ranks, count, op, -1, in_place);
    for (int r = 0; r < ranks; ++r) {
      for (size_t i = 0; i < count; ++i) {
        ASSERT_EQ(rs[r][i], ReducedBoardInput(op, ranks, r * count + i)) << r << " " << i;
      }
    }
    for (int root : {0, ranks - 1}) {
      auto red = RunOverTestArenas(OpKind::kReduce, ranks, count, op, root, in_place);
      for (size_t i = 0; i < count; ++i)
        ASSERT_EQ(red[root][i], ReducedBoardInput(op, ranks, i)) << i;
    }
  }
  auto ag = RunOverTestArenas(OpKind::kAllGather, ranks, count, RedOp::kSum, -1, in_place);
  for (int r = 0; r < ranks; ++r) {
    for (size_t p = 0; p < n; ++p) {
      for (size_t i = 0; i < count; ++i) {
        ASSERT_EQ(ag[r][p * count + i], BoardInput(static_cast<int>(p), i)) << r << " " << p;
      }
    }
  }
  if (!in_place) {  // in-place all-to-all is never run this way (see the rule test)
    auto a2a = RunOverTestArenas(OpKind::kAllToAll, ranks, count, RedOp::kSum, -1, false);
    for (int r = 0; r < ranks; ++r) {
      for (size_t p = 0; p < n; ++p) {
        for (size_t i = 0; i < count; ++i) {
          ASSERT_EQ(a2a[r][p * count + i], BoardInput(static_cast<int>(p), r * count + i)) << r;
        }
      }
    }
  }
  for (int root : {0, ranks - 1}) {
    auto bc = RunOverTestArenas(OpKind::kBroadcast, ranks, count, RedOp::kSum, root, in_place);
    for (int r = 0; r < ranks; ++r) {
      for (size_t i = 0; i < count; ++i) ASSERT_EQ(bc[r][i], BoardInput(root, i)) << r << " " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(RanksCountsPlacements, ArenaCollectivesTest,
                         ::testing::Combine(::testing::Values(1, 2, 3, 5),
                                            ::testing::Values(size_t{1}, size_t{7}, size_t{1001}),
                                            ::testing::Bool()));

TEST(ArenaCollectivesRuleTest, OnlyBuffersInTheArenaAndSharedSafelyAreReachable) {
  std::vector<char> arena(1 << 16);
  char* a = arena.data();
  Operation op;
  op.kind = OpKind::kAllReduce;
  op.dtype = DataType::kFloat32;
  op.count = 16;  // 64 bytes
  op.send = a + 128;
  op.recv = a + 1024;
  BoardBuffers b = ArenaBuffers(op, 1, 4, a, arena.size());
  EXPECT_TRUE(b.reachable);
  EXPECT_EQ(b.send_offset, 128u);
  EXPECT_EQ(b.recv_offset, 1024u);
  op.recv = a + 128;  // in place
  EXPECT_TRUE(ArenaBuffers(op, 1, 4, a, arena.size()).reachable);
  op.recv = a + 128 + 4;  // overlapping otherwise
  EXPECT_FALSE(ArenaBuffers(op, 1, 4, a, arena.size()).reachable);
  std::vector<float> outside(16);
  op.recv = outside.data();
  EXPECT_FALSE(ArenaBuffers(op, 1, 4, a, arena.size()).reachable);
  op.recv = a + arena.size() - 32;  // runs past the arena's end
  EXPECT_FALSE(ArenaBuffers(op, 1, 4, a, arena.size()).reachable);
  EXPECT_FALSE(ArenaBuffers(op, 1, 4, nullptr, 0).reachable);

  // Reduce-scatter in place: the output is this rank's block of the input.
  op.kind = OpKind::kReduceScatter;
  op.send = a;
  op.recv = a + 1 * 64;
  EXPECT_TRUE(ArenaBuffers(op, 1, 4, a, arena.size()).reachable);
  EXPECT_FALSE(ArenaBuffers(op, 2, 4, a, arena.size()).reachable);
  // All-gather in place: the input is this rank's block of the output.
  op.kind = OpKind::kAllGather;
  op.recv = a;
  op.send = a + 2 * 64;
  EXPECT_TRUE(ArenaBuffers(op, 2, 4, a, arena.size()).reachable);
  EXPECT_FALSE(ArenaBuffers(op, 1, 4, a, arena.size()).reachable);
  // All-to-all only apart; all-to-allv and the barrier never.
  op.kind = OpKind::kAllToAll;
  op.send = a;
  op.recv = a;
  EXPECT_FALSE(ArenaBuffers(op, 0, 4, a, arena.size()).reachable);
  op.recv = a + 4 * 64;
  EXPECT_TRUE(ArenaBuffers(op, 0, 4, a, arena.size()).reachable);
  op.kind = OpKind::kAllToAllv;
  EXPECT_FALSE(ArenaBuffers(op, 0, 4, a, arena.size()).reachable);
  op.kind = OpKind::kBarrier;
  EXPECT_FALSE(ArenaBuffers(op, 0, 4, a, arena.size()).reachable);
  // A broadcast's non-root ranks use only their output.
  op.kind = OpKind::kBroadcast;
  op.root_or_peer = 0;
  op.send = outside.data();
  op.recv = a;
  b = ArenaBuffers(op, 3, 4, a, arena.size());
  EXPECT_TRUE(b.reachable);
  EXPECT_EQ(b.send_offset, BoardBuffers::kNone);
}

}  // namespace
}  // namespace ultracc::client
