// Tests of collectives/ring_reduce_scatter.h: all ranks' schedules match message for message and
// leave each rank with the full reduction of its block.
#include "collectives/ring_reduce_scatter.h"

#include <tuple>

#include "gtest/gtest.h"
#include "tests/collective_expectations.h"

namespace ultracc::collectives {
namespace {

class RingReduceScatterTest : public ::testing::TestWithParam<std::tuple<int, size_t>> {};

TEST_P(RingReduceScatterTest, EachRankEndsWithItsBlockFullyReduced) {
  const auto [size, block] = GetParam();
  const absl::Status s = testing::ExpectReduceScatter(
      [&](int rank) { return RingReduceScatter(rank, size, block); }, size, block);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(RingReduceScatterTest, SendsSizeMinusOneBlocksInSizeMinusOneRounds) {
  const Schedule schedule = RingReduceScatter(2, 5, 10);
  EXPECT_EQ(schedule.NumRounds(), 4);
  size_t sent = 0;
  for (const Step& step : schedule.steps) sent += step.kind == StepKind::kSend ? step.count : 0;
  EXPECT_EQ(sent, 40u);
  EXPECT_TRUE(RingReduceScatter(0, 1, 10).steps.empty());
  EXPECT_TRUE(RingReduceScatter(1, 3, 0).steps.empty());
}

INSTANTIATE_TEST_SUITE_P(SizesAndBlocks, RingReduceScatterTest,
                         ::testing::Combine(::testing::Range(1, 10),
                                            ::testing::Values(0, 1, 2, 7)));

}  // namespace
}  // namespace ultracc::collectives
