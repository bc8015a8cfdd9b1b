// Tests of collectives/bruck_all_to_all.h.
#include "collectives/bruck_all_to_all.h"

#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "tests/collective_expectations.h"

namespace ultracc::collectives {
namespace {

class BruckAllToAllTest : public ::testing::TestWithParam<std::tuple<int, size_t>> {};

TEST_P(BruckAllToAllTest, EveryBlockReachesItsRank) {
  const auto [size, count] = GetParam();
  const std::vector<AllToAllLayout> layouts(size, UniformAllToAllLayout(size, count));
  const absl::Status s =
      testing::ExpectAllToAll([&](int rank) { return BruckAllToAll(rank, size, count); }, layouts);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(BruckAllToAllTest, SendsOneMessagePerLog2Round) {
  const Schedule schedule = BruckAllToAll(2, 9, 4);
  int sends = 0;
  for (const Step& step : schedule.steps) sends += step.kind == StepKind::kSend;
  EXPECT_EQ(sends, 4);  // ceil(log2 9)
  EXPECT_EQ(schedule.NumRounds(), 9);
  EXPECT_EQ(schedule.scratch_elements, 3u * 9 * 4);
}

INSTANTIATE_TEST_SUITE_P(SizesAndCounts, BruckAllToAllTest,
                         ::testing::Combine(::testing::Range(1, 18), ::testing::Values(0, 1, 3)));

}  // namespace
}  // namespace ultracc::collectives
