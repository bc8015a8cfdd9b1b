// Rings in another order than rank order: the ring all-reduce, reduce-scatter and all-gather still
// leave every result where it belongs (symbolic simulation) and only talk to ring neighbours;
// orders that are not permutations are refused; and the snake through a torus topology's nodes
// steps over one link at a time, the node level's torus inside a node, same-coordinate chips
// between the nodes of an UltraServer, the ring closing the same way.
#include "collectives/tuner/ring_order.h"

#include <cstdlib>
#include <tuple>
#include <vector>

#include "collectives/collective_schedule.h"
#include "collectives/ring.h"
#include "gtest/gtest.h"
#include "runtime/topology/presets.h"
#include "runtime/topology/spec_text.h"
#include "tests/collective_expectations.h"

namespace ultracc::collectives {
namespace {

RingOrder Shuffled(int size) {
  std::vector<int> members;
  for (int i = 0; i < size; ++i) members.push_back((i * 5 + 3) % size);  // a permutation when
  absl::StatusOr<RingOrder> order = RingOrder::Of(members);              // 5 and size are coprime
  EXPECT_TRUE(order.ok()) << order.status();
  return order.ok() ? *order : RingOrder();
}

class RingOrderTest : public ::testing::TestWithParam<std::tuple<int, size_t>> {};

TEST_P(RingOrderTest, ResultsLandWhereTheyBelongAndOnlyNeighboursTalk) {
  const auto [size, count] = GetParam();
  const RingOrder order = Shuffled(size);
  auto check = [&, size = size](const Schedule& s) {
    const int at = order.PositionOf(s.rank);
    for (const Step& step : s.steps) {
      if (!step.IsTransfer()) continue;
      const int expected =
          step.kind == StepKind::kSend ? order.At(at + 1, size) : order.At(at - 1, size);
      EXPECT_EQ(step.peer, expected) << "rank " << s.rank;
    }
    return s;
  };
  absl::Status st = testing::ExpectAllReduce(
      [&](int rank) {
        return check(*AllReduceSchedule(Algorithm::kRing, rank, size, count, 1, order));
      },
      size, count);
  EXPECT_TRUE(st.ok()) << st;
  st = testing::ExpectReduceScatter(
      [&](int rank) {
        return check(*ReduceScatterSchedule(Algorithm::kRing, rank, size, count, 1, order));
      },
      size, count);
  EXPECT_TRUE(st.ok()) << st;
  st = testing::ExpectAllGather(
      [&](int rank) {
        return check(*AllGatherSchedule(Algorithm::kRing, rank, size, count, 1, order));
      },
      size, count);
  EXPECT_TRUE(st.ok()) << st;
}

INSTANTIATE_TEST_SUITE_P(SizesAndCounts, RingOrderTest,
                         ::testing::Combine(::testing::Values(2, 3, 4, 7, 8, 9),
                                            ::testing::Values(size_t{1}, size_t{5}, size_t{33})));

TEST(RingOrderTest, OnlyPermutationsFitAndOnlyTheirOwnSize) {
  EXPECT_FALSE(RingOrder::Of({0, 0, 1}).ok());
  EXPECT_FALSE(RingOrder::Of({0, 3, 1}).ok());
  EXPECT_FALSE(RingOrder::Of({-1, 0}).ok());
  const RingOrder order = *RingOrder::Of({2, 0, 1});
  EXPECT_EQ(order.At(0, 3), 2);
  EXPECT_EQ(order.At(-1, 3), 1);
  EXPECT_EQ(order.PositionOf(2), 0);
  EXPECT_FALSE(AllReduceSchedule(Algorithm::kRing, 0, 4, 10, 1, order).ok());
  EXPECT_TRUE(RingOrder().Fits(17));
}

topology::Topology FromSpec(const proto::TopologySpec& spec) {
  absl::StatusOr<topology::Topology> t = topology::Topology::FromSpec(spec);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : topology::Topology();
}

// Whether chips a and b (ranks, node-major) are one link apart on a Trn2-shaped topology: torus
// neighbours in one node, or the same chip of neighbouring nodes in the UltraServer's ring.
bool OneLinkApart(int a, int b, int rows, int cols, int nodes) {
  const int chips = rows * cols;
  const int na = a / chips, nb = b / chips, ca = a % chips, cb = b % chips;
  if (na == nb) {
    const int dr = std::abs(ca / cols - cb / cols), dc = std::abs(ca % cols - cb % cols);
    const bool row_step = dc == 0 && (dr == 1 || dr == rows - 1);
    const bool col_step = dr == 0 && (dc == 1 || dc == cols - 1);
    return row_step || col_step;
  }
  const int dn = std::abs(na - nb);
  return ca == cb && (dn == 1 || dn == nodes - 1);
}

TEST(TopologyRingOrderTest, TheSnakeThroughTrn2StepsOverOneLinkAtATime) {
  absl::StatusOr<proto::TopologySpec> spec = topology::PresetTopologySpec("trn2-ultraserver");
  ASSERT_TRUE(spec.ok()) << spec.status();
  const topology::Topology t = FromSpec(*spec);
  const RingOrder order = tuner::TopologyRingOrder(t, {});
  ASSERT_EQ(order.members().size(), 64u);
  for (int p = 0; p < 64; ++p) {
    EXPECT_TRUE(OneLinkApart(order.At(p, 64), order.At(p + 1, 64), 4, 4, 4))
        << "position " << p << ": " << order.At(p, 64) << " -> " << order.At(p + 1, 64);
  }
  // The rank-order ring crosses several links at each row's end and between nodes.
  int far = 0;
  for (int r = 0; r < 64; ++r) far += OneLinkApart(r, (r + 1) % 64, 4, 4, 4) ? 0 : 1;
  EXPECT_GT(far, 0);
}

TEST(TopologyRingOrderTest, RankOrderWhereTheNodeIsNotATorusFilledByChipMembers) {
  absl::StatusOr<proto::TopologySpec> trn2 = topology::PresetTopologySpec("trn2-ultraserver");
  ASSERT_TRUE(trn2.ok());
  const topology::Topology t = FromSpec(*trn2);
  // Members that are whole nodes, and nodes only partly used.
  EXPECT_TRUE(tuner::TopologyRingOrder(t, {.ranks_per_node = 1, .chips_per_rank = 16}).natural());
  EXPECT_TRUE(tuner::TopologyRingOrder(t, {.ranks_per_node = 8}).natural());
  absl::StatusOr<proto::TopologySpec> trn3 = topology::PresetTopologySpec("trn3-ultraserver");
  ASSERT_TRUE(trn3.ok());
  EXPECT_TRUE(tuner::TopologyRingOrder(FromSpec(*trn3), {}).natural());  // switches
}

}  // namespace
}  // namespace ultracc::collectives
