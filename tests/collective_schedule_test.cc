// Tests of collectives/collective_schedule.h: every algorithm a collective accepts produces a
// schedule that meets the collective's expectation, and the others are refused by name.
#include "collectives/collective_schedule.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/collective_expectations.h"

namespace ultracc::collectives {
namespace {

using ::testing::HasSubstr;

constexpr Algorithm kAll[] = {Algorithm::kRing,     Algorithm::kHalvingDoubling,
                              Algorithm::kTree,     Algorithm::kPairwise,
                              Algorithm::kBruck,    Algorithm::kDirect,
                              Algorithm::kHierarchical};

Schedule Must(absl::StatusOr<Schedule> schedule) {
  EXPECT_TRUE(schedule.ok()) << schedule.status();
  return schedule.ok() ? *std::move(schedule) : Schedule{};
}

TEST(CollectiveScheduleTest, EveryApplicableAlgorithmMeetsTheExpectation) {
  for (Algorithm a : kAll) {
    for (int size = 1; size <= 9; ++size) {
      const size_t n = 5;
      SCOPED_TRACE(::testing::Message() << AlgorithmName(a) << " size " << size);
      if (AlgorithmApplies(CollectiveKind::kAllReduce, a)) {
        EXPECT_TRUE(testing::ExpectAllReduce(
                        [&](int r) { return Must(AllReduceSchedule(a, r, size, n)); }, size, n)
                        .ok());
      }
      if (AlgorithmApplies(CollectiveKind::kReduceScatter, a)) {
        EXPECT_TRUE(testing::ExpectReduceScatter(
                        [&](int r) { return Must(ReduceScatterSchedule(a, r, size, n)); }, size, n)
                        .ok());
      }
      if (AlgorithmApplies(CollectiveKind::kAllGather, a)) {
        EXPECT_TRUE(testing::ExpectAllGather(
                        [&](int r) { return Must(AllGatherSchedule(a, r, size, n)); }, size, n)
                        .ok());
      }
      if (AlgorithmApplies(CollectiveKind::kAllToAll, a)) {
        const std::vector<AllToAllLayout> layouts(size, UniformAllToAllLayout(size, n));
        EXPECT_TRUE(testing::ExpectAllToAll(
                        [&](int r) { return Must(AllToAllSchedule(a, r, size, n)); }, layouts)
                        .ok());
      }
      if (AlgorithmApplies(CollectiveKind::kAllToAllv, a)) {
        const std::vector<AllToAllLayout> layouts = testing::VariableLayouts(size, 1);
        EXPECT_TRUE(
            testing::ExpectAllToAll(
                [&](int r) { return Must(AllToAllvSchedule(a, r, size, layouts[r])); }, layouts)
                .ok());
      }
      const int root = size - 1;
      if (AlgorithmApplies(CollectiveKind::kBroadcast, a)) {
        EXPECT_TRUE(
            testing::ExpectBroadcast(
                [&](int r) { return Must(BroadcastSchedule(a, r, size, root, n)); }, size, root, n)
                .ok());
      }
      if (AlgorithmApplies(CollectiveKind::kReduce, a)) {
        EXPECT_TRUE(
            testing::ExpectReduce([&](int r) { return Must(ReduceSchedule(a, r, size, root, n)); },
                                  size, root, n)
                .ok());
      }
    }
  }
}

TEST(CollectiveScheduleTest, RefusesAlgorithmsThatDoNotApply) {
  EXPECT_THAT(AllReduceSchedule(Algorithm::kBruck, 0, 4, 8).status().message(),
              HasSubstr("\"bruck\" does not implement all-reduce"));
  EXPECT_THAT(AllToAllSchedule(Algorithm::kAuto, 0, 4, 8).status().message(),
              HasSubstr("\"auto\" does not implement all-to-all"));
  EXPECT_THAT(ReduceSchedule(Algorithm::kDirect, 0, 4, 0, 8).status().message(),
              HasSubstr("does not implement reduce"));
}

TEST(CollectiveScheduleTest, RefusesRanksAndRootsOutOfRange) {
  EXPECT_THAT(BroadcastSchedule(Algorithm::kTree, 0, 4, 4, 8).status().message(),
              HasSubstr("root 4"));
  EXPECT_THAT(AllGatherSchedule(Algorithm::kRing, 5, 4, 8).status().message(),
              HasSubstr("rank 5 of 4"));
  AllToAllLayout short_layout = UniformAllToAllLayout(3, 2);
  EXPECT_THAT(AllToAllvSchedule(Algorithm::kPairwise, 0, 4, short_layout).status().message(),
              HasSubstr("send_counts has 3 entries"));
}

TEST(CollectiveScheduleTest, HierarchicalAllReduceTakesItsGroups) {
  for (const auto& [size, group] : {std::pair{6, 3}, std::pair{8, 4}, std::pair{4, 1}}) {
    SCOPED_TRACE(::testing::Message() << size << " in groups of " << group);
    const size_t n = 11;
    EXPECT_TRUE(testing::ExpectAllReduce(
                    [&](int r) {
                      return Must(AllReduceSchedule(Algorithm::kHierarchical, r, size, n, group));
                    },
                    size, n)
                    .ok());
  }
  EXPECT_THAT(AllReduceSchedule(Algorithm::kHierarchical, 0, 6, 10, 4).status().message(),
              HasSubstr("group size 4 does not divide the 6 members"));
}

}  // namespace
}  // namespace ultracc::collectives
