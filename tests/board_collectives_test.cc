// Collectives computed on the call board: every kind at several rank counts and odd counts, out of
// place and in place, against straightforward loops; which calls run there (decided from the call
// alone) and how many bytes each rank posts. Every dtype and op runs through the board in the
// launched one-node jobs of the API matrix (ApiDaemon.1xN).
#include "runtime/client/board_collectives.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/local_board.h"

namespace ultracc::client {
namespace {

using collectives::DataType;
using collectives::RedOp;
using submission::NodeBoard;
using submission::Operation;
using submission::OpKind;
using ::ultracc::testing::BoardInput;
using ::ultracc::testing::ReducedBoardInput;

// Runs `kind` on the board for `ranks` ranks of int32 (`count` as the C API counts it), in place
// or not, and returns each rank's receive buffer.
std::vector<std::vector<int32_t>> RunOnBoard(OpKind kind, int ranks, size_t count, RedOp op,
                                             int root, bool in_place) {
  const size_t n = static_cast<size_t>(ranks);
  ::ultracc::testing::LocalBoard b(ranks);
  std::vector<Operation> ops(n);
  std::vector<std::vector<int32_t>> send(n), recv(n);
  for (int r = 0; r < ranks; ++r) {
    Operation& o = ops[r];
    o.kind = kind;
    o.count = count;
    o.dtype = DataType::kInt32;
    o.op = op;
    o.root_or_peer = root;
    o.sequence = 7;
    const submission::Extents e = submission::BufferExtents(o, r, ranks);
    send[r].resize(std::max(e.send, e.recv) + 1);
    recv[r].assign(e.recv + 1, -1);
    for (size_t i = 0; i < e.send; ++i) send[r][i] = BoardInput(r, i);
    o.send = send[r].data();
    o.recv = in_place ? send[r].data() : recv[r].data();
    if (in_place && kind == OpKind::kAllGather) {
      // NCCL's in-place all-gather: the input is the rank's own block of the output.
      send[r].assign(n * count + 1, -1);
      for (size_t i = 0; i < count; ++i) send[r][r * count + i] = BoardInput(r, i);
      o.send = send[r].data() + r * count;
      o.recv = send[r].data();
    }
    if (in_place && kind == OpKind::kReduceScatter) o.recv = send[r].data() + r * count;
    b.board.Post(r, o.sequence, {}, o.send, BoardInputBytes(o, r, ranks));
  }
  EXPECT_TRUE(b.board.AwaitAll(7, absl::Now()).ok());
  for (int r = 0; r < ranks; ++r) FinishOnBoard(b.board, ops[r], r, /*node_ranks=*/ranks);
  std::vector<std::vector<int32_t>> out(n);
  for (int r = 0; r < ranks; ++r) {
    const size_t extent = submission::BufferExtents(ops[r], r, ranks).recv;
    const int32_t* p = static_cast<const int32_t*>(ops[r].recv);
    out[r].assign(p, p + extent);
    // Nothing past the receive extent is touched.
    if (!in_place) {
      EXPECT_EQ(recv[r][extent], -1) << "rank " << r;
    }
  }
  return out;
}

class BoardCollectivesTest : public ::testing::TestWithParam<std::tuple<int, size_t, bool>> {};

TEST_P(BoardCollectivesTest, EveryKindMatchesTheReference) {
  const auto [ranks, count, in_place] = GetParam();
  const size_t n = static_cast<size_t>(ranks);
  for (RedOp op : {RedOp::kSum, RedOp::kMax, RedOp::kMin, RedOp::kAvg}) {
    SCOPED_TRACE(absl::StrCat("op ", collectives::RedOpName(op)));
    auto all = RunOnBoard(OpKind::kAllReduce, ranks, count, op, -1, in_place);
    for (int r = 0; r < ranks; ++r) {
      for (size_t i = 0; i < count; ++i)
        ASSERT_EQ(all[r][i], ReducedBoardInput(op, ranks, i)) << r << " " << i;
    }
    auto rs = RunOnBoard(OpKind::kReduceScatter, ranks, count, op, -1, in_place);
    for (int r = 0; r < ranks; ++r) {
      for (size_t i = 0; i < count; ++i) {
        ASSERT_EQ(rs[r][i], ReducedBoardInput(op, ranks, r * count + i)) << r << " " << i;
      }
    }
    const int root = ranks - 1;
    auto red = RunOnBoard(OpKind::kReduce, ranks, count, op, root, in_place);
    for (size_t i = 0; i < count; ++i)
      ASSERT_EQ(red[root][i], ReducedBoardInput(op, ranks, i)) << i;
  }
  auto ag = RunOnBoard(OpKind::kAllGather, ranks, count, RedOp::kSum, -1, in_place);
  auto a2a = RunOnBoard(OpKind::kAllToAll, ranks, count, RedOp::kSum, -1, in_place);
  for (int r = 0; r < ranks; ++r) {
    for (size_t p = 0; p < n; ++p) {
      for (size_t i = 0; i < count; ++i) {
        ASSERT_EQ(ag[r][p * count + i], BoardInput(static_cast<int>(p), i)) << r << " " << p;
        ASSERT_EQ(a2a[r][p * count + i], BoardInput(static_cast<int>(p), r * count + i))
            << r << " " << p;
      }
    }
  }
  for (int root : {0, ranks - 1}) {
    auto bc = RunOnBoard(OpKind::kBroadcast, ranks, count, RedOp::kSum, root, in_place);
    for (int r = 0; r < ranks; ++r) {
      for (size_t i = 0; i < count; ++i) ASSERT_EQ(bc[r][i], BoardInput(root, i)) << r << " " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(RanksCountsPlacements, BoardCollectivesTest,
                         ::testing::Combine(::testing::Values(1, 2, 3, 5),
                                            ::testing::Values(size_t{0}, size_t{1}, size_t{7},
                                                              size_t{1001}),
                                            ::testing::Bool()));

TEST(BoardCollectivesRuleTest, TheCallAloneDecidesWhatRunsOnTheBoard) {
  Operation op;
  op.dtype = DataType::kFloat32;
  op.kind = OpKind::kAllReduce;
  op.count = 1024;  // 4 KiB per rank; each of 4 ranks reads 16 KiB
  EXPECT_TRUE(RunsOnBoard(op, 4, 16384));
  EXPECT_FALSE(RunsOnBoard(op, 4, 16383));
  // Inputs must fit a slot whatever the limit.
  op.count = NodeBoard::kPayloadBytes / 4 + 1;
  EXPECT_FALSE(RunsOnBoard(op, 1, ~size_t{0}));
  // Reduce-scatter and all-to-all post a block per rank and read one from each.
  op.kind = OpKind::kReduceScatter;
  op.count = 256;
  EXPECT_TRUE(RunsOnBoard(op, 4, 4096));
  EXPECT_FALSE(RunsOnBoard(op, 5, 4096));
  op.kind = OpKind::kAllToAll;
  EXPECT_TRUE(RunsOnBoard(op, 4, 4096));
  EXPECT_FALSE(RunsOnBoard(op, 5, 4096));
  op.count = ~size_t{0} / 2;  // no overflow on the way
  EXPECT_FALSE(RunsOnBoard(op, 5, ~size_t{0}));
  op.kind = OpKind::kBarrier;
  EXPECT_TRUE(RunsOnBoard(op, 8, 0));
  // A limit of 0 keeps every call with data on the daemon; all-to-allv always goes there.
  op.kind = OpKind::kAllGather;
  op.count = 1;
  EXPECT_FALSE(RunsOnBoard(op, 2, 0));
  op.kind = OpKind::kAllToAllv;
  EXPECT_FALSE(RunsOnBoard(op, 2, 1 << 16));
  // Only the root posts a broadcast's input, and the others read just that.
  op.kind = OpKind::kBroadcast;
  op.count = 10;
  op.root_or_peer = 1;
  EXPECT_TRUE(RunsOnBoard(op, 8, 40));
  EXPECT_FALSE(RunsOnBoard(op, 8, 39));
  EXPECT_EQ(BoardInputBytes(op, 1, 3), 40u);
  EXPECT_EQ(BoardInputBytes(op, 0, 3), 0u);
}

}  // namespace
}  // namespace ultracc::client
