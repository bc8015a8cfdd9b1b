// Tests of collectives/pairwise_all_to_all.h with uniform and variable layouts.
#include "collectives/pairwise_all_to_all.h"

#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "tests/collective_expectations.h"

namespace ultracc::collectives {
namespace {

class PairwiseAllToAllTest : public ::testing::TestWithParam<std::tuple<int, size_t>> {};

TEST_P(PairwiseAllToAllTest, UniformBlocksReachTheirRanks) {
  const auto [size, count] = GetParam();
  const std::vector<AllToAllLayout> layouts(size, UniformAllToAllLayout(size, count));
  const absl::Status s = testing::ExpectAllToAll(
      [&](int rank) { return PairwiseAllToAll(rank, size, layouts[rank]); }, layouts);
  EXPECT_TRUE(s.ok()) << s;
}

TEST_P(PairwiseAllToAllTest, VariableBlocksReachTheirPlaces) {
  const auto [size, salt] = GetParam();
  const std::vector<AllToAllLayout> layouts =
      testing::VariableLayouts(size, static_cast<int>(salt));
  const absl::Status s = testing::ExpectAllToAll(
      [&](int rank) { return PairwiseAllToAll(rank, size, layouts[rank]); }, layouts);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(PairwiseAllToAllTest, ExchangesWithOnePeerPerRoundEvenWhenEmpty) {
  const Schedule schedule = PairwiseAllToAll(1, 4, UniformAllToAllLayout(4, 0));
  EXPECT_EQ(schedule.NumRounds(), 3);
  EXPECT_EQ(schedule.steps.size(), 6u);  // no local copy of an empty block
}

INSTANTIATE_TEST_SUITE_P(SizesAndCounts, PairwiseAllToAllTest,
                         ::testing::Combine(::testing::Range(1, 10),
                                            ::testing::Values(0, 1, 3, 5)));

}  // namespace
}  // namespace ultracc::collectives
