// HierarchicalAllReduce: every member ends with every contribution (symbolic simulation), for
// several group shapes, counts and outer algorithms; the hierarchical reduce-scatter and
// all-gather likewise leave every block where it belongs; traffic between groups only joins
// members at the same position and carries a group's share of the data; bad shapes are refused.
#include "collectives/hierarchical.h"

#include <tuple>

#include "gtest/gtest.h"
#include "tests/collective_expectations.h"

namespace ultracc::collectives {
namespace {

class HierarchicalTest
    : public ::testing::TestWithParam<std::tuple<std::pair<int, int>, size_t, Algorithm>> {};

TEST_P(HierarchicalTest, EveryMemberEndsWithEveryContribution) {
  const auto [shape, count, outer] = GetParam();
  const auto [size, group] = shape;
  const absl::Status s = testing::ExpectAllReduce(
      [&, size = size, group = group, count = count, outer = outer](int rank) {
        absl::StatusOr<Schedule> schedule = HierarchicalAllReduce(rank, size, group, count, outer);
        EXPECT_TRUE(schedule.ok()) << schedule.status();
        return schedule.ok() ? *schedule : Schedule{};
      },
      size, count);
  EXPECT_TRUE(s.ok()) << size << " members in groups of " << group << ", count " << count << ": "
                      << s;
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, HierarchicalTest,
    ::testing::Combine(::testing::Values(std::pair{4, 2}, std::pair{6, 3}, std::pair{6, 2},
                                         std::pair{8, 4}, std::pair{8, 2}, std::pair{9, 3},
                                         std::pair{12, 4}, std::pair{2, 1}, std::pair{3, 3},
                                         std::pair{1, 1}),
                       ::testing::Values(size_t{0}, size_t{1}, size_t{5}, size_t{17}, size_t{100}),
                       ::testing::Values(Algorithm::kRing, Algorithm::kHalvingDoubling,
                                         Algorithm::kDirect, Algorithm::kTree)));

class HierarchicalBlocksTest
    : public ::testing::TestWithParam<std::tuple<std::pair<int, int>, size_t, Algorithm>> {};

TEST_P(HierarchicalBlocksTest, ReduceScatterAndAllGatherLeaveEveryBlockWhereItBelongs) {
  const auto [shape, block, outer] = GetParam();
  const auto [size, group] = shape;
  auto make = [&, size = size, group = group, outer = outer](auto generator) {
    return [=](int rank) {
      absl::StatusOr<Schedule> schedule = generator(rank, size, group, block, outer);
      EXPECT_TRUE(schedule.ok()) << schedule.status();
      return schedule.ok() ? *schedule : Schedule{};
    };
  };
  absl::Status s = testing::ExpectReduceScatter(make(HierarchicalReduceScatter), size, block);
  EXPECT_TRUE(s.ok()) << "reduce-scatter: " << size << " members in groups of " << group
                      << ", block " << block << ": " << s;
  s = testing::ExpectAllGather(make(HierarchicalAllGather), size, block);
  EXPECT_TRUE(s.ok()) << "all-gather: " << size << " members in groups of " << group << ", block "
                      << block << ": " << s;
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, HierarchicalBlocksTest,
    ::testing::Combine(::testing::Values(std::pair{4, 2}, std::pair{6, 3}, std::pair{6, 2},
                                         std::pair{8, 4}, std::pair{8, 2}, std::pair{9, 3},
                                         std::pair{12, 4}, std::pair{2, 1}, std::pair{3, 3},
                                         std::pair{5, 1}, std::pair{1, 1}),
                       ::testing::Values(size_t{0}, size_t{1}, size_t{3}, size_t{17}),
                       ::testing::Values(Algorithm::kRing, Algorithm::kDirect)));

// Reduce-scatter: inside a group every block but a member's own position's crosses the switch
// once; across groups only same positions talk, a block each per ring round.
TEST(HierarchicalTest, BlocksCrossTheClusterOnlyBetweenSamePositions) {
  constexpr int kSize = 12, kGroup = 4, kGroups = kSize / kGroup;
  constexpr size_t kBlock = 10;
  for (int rank = 0; rank < kSize; ++rank) {
    for (bool gather : {false, true}) {
      absl::StatusOr<Schedule> s =
          gather ? HierarchicalAllGather(rank, kSize, kGroup, kBlock, Algorithm::kRing)
                 : HierarchicalReduceScatter(rank, kSize, kGroup, kBlock, Algorithm::kRing);
      ASSERT_TRUE(s.ok()) << s.status();
      size_t across = 0, inside = 0;
      for (const Step& step : s->steps) {
        if (step.kind != StepKind::kSend) continue;
        if (step.peer / kGroup == rank / kGroup) {
          inside += step.count;
        } else {
          EXPECT_EQ(step.peer % kGroup, rank % kGroup) << s->DebugString();
          across += step.count;
        }
      }
      EXPECT_EQ(inside, (kGroup - 1) * kGroups * kBlock) << "rank " << rank;
      EXPECT_EQ(across, (kGroups - 1) * kBlock) << "rank " << rank;
    }
  }
}

TEST(HierarchicalTest, OnlySamePositionsTalkAcrossGroupsAndCarryAGroupsShare) {
  constexpr int kSize = 8, kGroup = 4;
  constexpr size_t kCount = 4000;
  for (int rank = 0; rank < kSize; ++rank) {
    absl::StatusOr<Schedule> s =
        HierarchicalAllReduce(rank, kSize, kGroup, kCount, Algorithm::kRing);
    ASSERT_TRUE(s.ok()) << s.status();
    size_t across = 0;
    for (const Step& step : s->steps) {
      if (!step.IsTransfer() || step.peer / kGroup == rank / kGroup) continue;
      EXPECT_EQ(step.peer % kGroup, rank % kGroup) << s->DebugString();
      if (step.kind == StepKind::kSend) across += step.count;
    }
    // A two-member ring all-reduce of a quarter of the data: 2 x (1/2) x count / 4 sent.
    EXPECT_EQ(across, kCount / kGroup) << "rank " << rank;
  }
}

TEST(HierarchicalTest, RefusesGroupsThatDoNotDivideTheMembers) {
  EXPECT_FALSE(HierarchicalAllReduce(0, 6, 4, 10, Algorithm::kRing).ok());
  EXPECT_FALSE(HierarchicalAllReduce(0, 6, 0, 10, Algorithm::kRing).ok());
  EXPECT_FALSE(HierarchicalAllReduce(6, 6, 3, 10, Algorithm::kRing).ok());
  EXPECT_FALSE(HierarchicalAllReduce(0, 6, 3, 10, Algorithm::kBruck).ok());  // not an all-reduce
  EXPECT_FALSE(HierarchicalReduceScatter(0, 6, 4, 10, Algorithm::kRing).ok());
  EXPECT_FALSE(HierarchicalAllGather(0, 6, 0, 10, Algorithm::kRing).ok());
  // Across groups only schedules whose messages are whole blocks.
  EXPECT_FALSE(HierarchicalReduceScatter(0, 6, 3, 10, Algorithm::kHalvingDoubling).ok());
  EXPECT_FALSE(HierarchicalAllGather(0, 6, 3, 10, Algorithm::kTree).ok());
}

}  // namespace
}  // namespace ultracc::collectives
