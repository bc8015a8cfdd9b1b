// Tests of collectives/binomial_tree.h: broadcast and reduce from every root.
#include "collectives/binomial_tree.h"

#include <tuple>

#include "gtest/gtest.h"
#include "tests/collective_expectations.h"

namespace ultracc::collectives {
namespace {

class BinomialTreeTest : public ::testing::TestWithParam<std::tuple<int, size_t>> {};

TEST_P(BinomialTreeTest, BroadcastReachesEveryRankFromEveryRoot) {
  const auto [size, count] = GetParam();
  for (int root = 0; root < size; ++root) {
    const absl::Status s = testing::ExpectBroadcast(
        [&](int rank) { return BinomialTreeBroadcast(rank, size, root, count); }, size, root,
        count);
    EXPECT_TRUE(s.ok()) << "root " << root << ": " << s;
  }
}

TEST_P(BinomialTreeTest, ReduceGathersEveryContributionAtEveryRoot) {
  const auto [size, count] = GetParam();
  for (int root = 0; root < size; ++root) {
    const absl::Status s = testing::ExpectReduce(
        [&](int rank) { return BinomialTreeReduce(rank, size, root, count); }, size, root, count);
    EXPECT_TRUE(s.ok()) << "root " << root << ": " << s;
  }
}

TEST(BinomialTreeTest, TakesCeilLog2Rounds) {
  EXPECT_EQ(BinomialTreeRounds(1), 0);
  EXPECT_EQ(BinomialTreeRounds(2), 1);
  EXPECT_EQ(BinomialTreeRounds(5), 3);
  EXPECT_EQ(BinomialTreeRounds(8), 3);
  EXPECT_EQ(BinomialTreeBroadcast(2, 5, 2, 4).NumRounds(), 3);
}

INSTANTIATE_TEST_SUITE_P(SizesAndCounts, BinomialTreeTest,
                         ::testing::Combine(::testing::Range(1, 12), ::testing::Values(0, 1, 9)));

}  // namespace
}  // namespace ultracc::collectives
