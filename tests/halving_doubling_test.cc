// Tests of collectives/halving_doubling.h, including the non-power-of-two fold: all ranks'
// schedules match message for message and give each rank the right contributions.
#include "collectives/halving_doubling.h"

#include <tuple>

#include "gtest/gtest.h"
#include "tests/collective_expectations.h"

namespace ultracc::collectives {
namespace {

class HalvingDoublingTest : public ::testing::TestWithParam<std::tuple<int, size_t>> {};

TEST_P(HalvingDoublingTest, AllReduceGivesEveryRankEveryContribution) {
  const auto [size, count] = GetParam();
  const absl::Status s = testing::ExpectAllReduce(
      [&](int rank) { return HalvingDoublingAllReduce(rank, size, count); }, size, count);
  EXPECT_TRUE(s.ok()) << s;
}

TEST_P(HalvingDoublingTest, ReduceScatterGivesEachRankItsBlock) {
  const auto [size, block] = GetParam();
  const absl::Status s = testing::ExpectReduceScatter(
      [&](int rank) { return HalvingDoublingReduceScatter(rank, size, block); }, size, block);
  EXPECT_TRUE(s.ok()) << s;
}

TEST_P(HalvingDoublingTest, AllGatherGivesEveryRankEveryBlock) {
  const auto [size, block] = GetParam();
  const absl::Status s = testing::ExpectAllGather(
      [&](int rank) { return HalvingDoublingAllGather(rank, size, block); }, size, block);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(HalvingDoublingTest, PowerOfTwoTakesTwoLog2Rounds) {
  EXPECT_EQ(HalvingDoublingAllReduce(3, 8, 64).NumRounds(), 6);
  EXPECT_EQ(HalvingDoublingReduceScatter(3, 8, 8).NumRounds(), 3);
}

TEST(HalvingDoublingTest, ExtraRanksFoldFirstAndGetTheResultLast) {
  // 6 ranks: p = 4, extra = 2; ranks 0 and 2 sit out between the fold and the hand-back.
  const Schedule folded = HalvingDoublingAllReduce(2, 6, 60);
  ASSERT_EQ(folded.steps.size(), 2u);
  EXPECT_EQ(folded.steps[0].kind, StepKind::kSend);
  EXPECT_EQ(folded.steps[0].peer, 3);
  EXPECT_EQ(folded.steps[0].round, 0);
  EXPECT_EQ(folded.steps[1].kind, StepKind::kRecv);
  EXPECT_EQ(folded.steps[1].round, 5);
  EXPECT_EQ(folded.steps[1].count, 60u);
}

INSTANTIATE_TEST_SUITE_P(SizesAndCounts, HalvingDoublingTest,
                         ::testing::Combine(::testing::Range(1, 18),
                                            ::testing::Values(0, 1, 3, 7, 16, 101)));

}  // namespace
}  // namespace ultracc::collectives
