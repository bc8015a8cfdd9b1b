// Tests of collectives/tree_all_reduce.h.
#include "collectives/tree_all_reduce.h"

#include <tuple>

#include "gtest/gtest.h"
#include "tests/collective_expectations.h"

namespace ultracc::collectives {
namespace {

class TreeAllReduceTest : public ::testing::TestWithParam<std::tuple<int, size_t>> {};

TEST_P(TreeAllReduceTest, GivesEveryRankEveryContribution) {
  const auto [size, count] = GetParam();
  const absl::Status s = testing::ExpectAllReduce(
      [&](int rank) { return TreeAllReduce(rank, size, count); }, size, count);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(TreeAllReduceTest, ReducesThenBroadcastsInTwoCeilLog2Rounds) {
  EXPECT_EQ(TreeAllReduce(0, 5, 3).NumRounds(), 6);
  EXPECT_EQ(TreeAllReduce(0, 5, 3).steps.front().kind, StepKind::kRecvReduce);
  EXPECT_EQ(TreeAllReduce(0, 5, 3).steps.back().kind, StepKind::kSend);
}

INSTANTIATE_TEST_SUITE_P(SizesAndCounts, TreeAllReduceTest,
                         ::testing::Combine(::testing::Range(1, 12), ::testing::Values(0, 1, 9)));

}  // namespace
}  // namespace ultracc::collectives
