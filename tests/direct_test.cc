// Tests of collectives/direct.h: every direct collective against its expectation.
#include "collectives/direct.h"

#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "tests/collective_expectations.h"

namespace ultracc::collectives {
namespace {

class DirectTest : public ::testing::TestWithParam<std::tuple<int, size_t>> {};

TEST_P(DirectTest, AllReduce) {
  const auto [size, count] = GetParam();
  const absl::Status s = testing::ExpectAllReduce(
      [&](int rank) { return DirectAllReduce(rank, size, count); }, size, count);
  EXPECT_TRUE(s.ok()) << s;
}

TEST_P(DirectTest, ReduceScatter) {
  const auto [size, block] = GetParam();
  const absl::Status s = testing::ExpectReduceScatter(
      [&](int rank) { return DirectReduceScatter(rank, size, block); }, size, block);
  EXPECT_TRUE(s.ok()) << s;
}

TEST_P(DirectTest, AllGather) {
  const auto [size, block] = GetParam();
  const absl::Status s = testing::ExpectAllGather(
      [&](int rank) { return DirectAllGather(rank, size, block); }, size, block);
  EXPECT_TRUE(s.ok()) << s;
}

TEST_P(DirectTest, AllToAllUniformAndVariable) {
  const auto [size, count] = GetParam();
  const std::vector<AllToAllLayout> uniform(size, UniformAllToAllLayout(size, count));
  absl::Status s = testing::ExpectAllToAll(
      [&](int rank) { return DirectAllToAll(rank, size, uniform[rank]); }, uniform);
  EXPECT_TRUE(s.ok()) << s;
  const std::vector<AllToAllLayout> variable =
      testing::VariableLayouts(size, static_cast<int>(count));
  s = testing::ExpectAllToAll([&](int rank) { return DirectAllToAll(rank, size, variable[rank]); },
                              variable);
  EXPECT_TRUE(s.ok()) << s;
}

TEST_P(DirectTest, BroadcastFromEveryRoot) {
  const auto [size, count] = GetParam();
  for (int root = 0; root < size; ++root) {
    const absl::Status s = testing::ExpectBroadcast(
        [&](int rank) { return DirectBroadcast(rank, size, root, count); }, size, root, count);
    EXPECT_TRUE(s.ok()) << "root " << root << ": " << s;
  }
}

TEST(DirectTest, TalksToEveryPeerInTheFirstRound) {
  const Schedule schedule = DirectAllGather(0, 5, 2);
  EXPECT_EQ(schedule.NumRounds(), 1);
  EXPECT_EQ(schedule.steps.size(), 8u);
  const Schedule reduce_scatter = DirectReduceScatter(3, 5, 2);
  int first_round_messages = 0;
  for (const Step& step : reduce_scatter.steps) first_round_messages += step.round == 0;
  EXPECT_EQ(first_round_messages, 8);
}

INSTANTIATE_TEST_SUITE_P(SizesAndCounts, DirectTest,
                         ::testing::Combine(::testing::Range(1, 10),
                                            ::testing::Values(0, 1, 3, 10)));

}  // namespace
}  // namespace ultracc::collectives
