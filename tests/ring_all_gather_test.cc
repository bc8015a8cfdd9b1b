// Tests of collectives/ring_all_gather.h: all ranks' schedules match message for message and leave
// every rank with every rank's block.
#include "collectives/ring_all_gather.h"

#include <tuple>

#include "gtest/gtest.h"
#include "tests/collective_expectations.h"

namespace ultracc::collectives {
namespace {

class RingAllGatherTest : public ::testing::TestWithParam<std::tuple<int, size_t>> {};

TEST_P(RingAllGatherTest, EveryRankEndsWithEveryBlock) {
  const auto [size, block] = GetParam();
  const absl::Status s = testing::ExpectAllGather(
      [&](int rank) { return RingAllGather(rank, size, block); }, size, block);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(RingAllGatherTest, UsesSizeMinusOneRoundsOfOneBlock) {
  const Schedule schedule = RingAllGather(0, 6, 3);
  EXPECT_EQ(schedule.NumRounds(), 5);
  for (const Step& step : schedule.steps) EXPECT_EQ(step.count, 3u);
  EXPECT_TRUE(RingAllGather(0, 1, 3).steps.empty());
}

INSTANTIATE_TEST_SUITE_P(SizesAndBlocks, RingAllGatherTest,
                         ::testing::Combine(::testing::Range(1, 10),
                                            ::testing::Values(0, 1, 2, 7)));

}  // namespace
}  // namespace ultracc::collectives
