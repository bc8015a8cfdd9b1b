// Tests of collectives/algorithm.h: names, applicability and the default rule.
#include "collectives/algorithm.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ultracc::collectives {
namespace {

using ::testing::HasSubstr;

TEST(AlgorithmTest, ParsesEveryNameBothWays) {
  for (Algorithm a :
       {Algorithm::kAuto, Algorithm::kRing, Algorithm::kHalvingDoubling, Algorithm::kTree,
        Algorithm::kPairwise, Algorithm::kBruck, Algorithm::kDirect, Algorithm::kHierarchical}) {
    absl::StatusOr<Algorithm> parsed = ParseAlgorithm(AlgorithmName(a));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, a);
  }
  EXPECT_EQ(*ParseAlgorithm(" RHD "), Algorithm::kHalvingDoubling);
}

TEST(AlgorithmTest, UnknownNameListsTheValidOnes) {
  const absl::StatusOr<Algorithm> parsed = ParseAlgorithm("butterfly");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("\"butterfly\""));
  EXPECT_THAT(parsed.status().message(),
              HasSubstr("auto, ring, rhd, tree, pairwise, bruck, direct, hier"));
}

TEST(AlgorithmTest, ForcedChoiceThatAppliesIsKept) {
  EXPECT_EQ(*ChooseAlgorithm(CollectiveKind::kAllReduce, 1 << 30, 8, Algorithm::kTree),
            Algorithm::kTree);
  EXPECT_EQ(*ChooseAlgorithm(CollectiveKind::kAllToAll, 1 << 30, 8, Algorithm::kBruck),
            Algorithm::kBruck);
  EXPECT_EQ(*ChooseAlgorithm(CollectiveKind::kReduceScatter, 4, 3, Algorithm::kDirect),
            Algorithm::kDirect);
  EXPECT_EQ(*ChooseAlgorithm(CollectiveKind::kAllReduce, 4, 6, Algorithm::kHierarchical),
            Algorithm::kHierarchical);
  // All-reduce, reduce-scatter and all-gather have hierarchical schedules; the others keep the
  // size rule.
  EXPECT_EQ(*ChooseAlgorithm(CollectiveKind::kReduceScatter, 1 << 30, 6, Algorithm::kHierarchical),
            Algorithm::kHierarchical);
  EXPECT_EQ(*ChooseAlgorithm(CollectiveKind::kAllGather, 4, 6, Algorithm::kHierarchical),
            Algorithm::kHierarchical);
  EXPECT_EQ(*ChooseAlgorithm(CollectiveKind::kBroadcast, 1 << 30, 6, Algorithm::kHierarchical),
            Algorithm::kTree);
}

TEST(AlgorithmTest, ForcedChoiceThatDoesNotApplyFallsBackToTheDefault) {
  EXPECT_FALSE(AlgorithmApplies(CollectiveKind::kAllReduce, Algorithm::kBruck));
  EXPECT_EQ(*ChooseAlgorithm(CollectiveKind::kAllReduce, 1 << 30, 8, Algorithm::kBruck),
            Algorithm::kRing);
  EXPECT_FALSE(AlgorithmApplies(CollectiveKind::kAllToAllv, Algorithm::kBruck));
  EXPECT_EQ(*ChooseAlgorithm(CollectiveKind::kAllToAllv, 64, 8, Algorithm::kBruck),
            Algorithm::kPairwise);
  EXPECT_EQ(*ChooseAlgorithm(CollectiveKind::kReduce, 64, 8, Algorithm::kRing), Algorithm::kTree);
}

TEST(AlgorithmTest, DefaultRuleFollowsMessageSize) {
  EXPECT_EQ(*ChooseAlgorithm(CollectiveKind::kAllReduce, kSmallMessageBytes - 1, 8),
            Algorithm::kHalvingDoubling);
  EXPECT_EQ(*ChooseAlgorithm(CollectiveKind::kAllReduce, kSmallMessageBytes, 8), Algorithm::kRing);
  EXPECT_EQ(*ChooseAlgorithm(CollectiveKind::kAllGather, 1 << 20, 8), Algorithm::kRing);
  EXPECT_EQ(*ChooseAlgorithm(CollectiveKind::kAllToAll, 8 * kSmallBlockBytes, 8),
            Algorithm::kBruck);
  EXPECT_EQ(*ChooseAlgorithm(CollectiveKind::kAllToAll, 8 * kSmallBlockBytes + 8, 8),
            Algorithm::kPairwise);
  EXPECT_EQ(*ChooseAlgorithm(CollectiveKind::kAllToAll, 16, 2), Algorithm::kPairwise);
  EXPECT_EQ(*ChooseAlgorithm(CollectiveKind::kBroadcast, 1 << 30, 8), Algorithm::kTree);
  EXPECT_EQ(*ChooseAlgorithm(CollectiveKind::kBarrier, 0, 8), Algorithm::kAuto);
}

TEST(AlgorithmTest, RejectsInvalidInputsNamingThem) {
  EXPECT_THAT(ChooseAlgorithm(CollectiveKind::kAllReduce, 8, 0).status().message(),
              HasSubstr("0 participants"));
  EXPECT_THAT(ChooseAlgorithm(CollectiveKind::kAllReduce, 8, 2, static_cast<Algorithm>(42))
                  .status()
                  .message(),
              HasSubstr("algorithm 42"));
  EXPECT_THAT(ChooseAlgorithm(static_cast<CollectiveKind>(-1), 8, 2).status().message(),
              HasSubstr("kind -1"));
}

}  // namespace
}  // namespace ultracc::collectives
