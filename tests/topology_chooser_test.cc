// The tuner (collectives/tuner/topology_chooser): it answers with the cost model's cheapest
// candidate per collective and size bucket, differs from the size rule where the topology says so,
// decides each bucket once (and reports it once), and refuses a member count it was not made for.
#include "collectives/tuner/topology_chooser.h"

#include <string>
#include <vector>

#include "collectives/tuner/member_layout.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/topology/spec_text.h"

namespace ultracc::collectives::tuner {
namespace {

using ::testing::HasSubstr;

// 2 UltraServers x 2 nodes x 2 chips; the cluster level is slow and far.
constexpr char kThreeLevels[] = R"pb(
  name: "three"
  chips_per_node: 2
  nodes_per_ultraserver: 2
  ultraservers: 2
  chip { memory_bandwidth_gb_per_s: 1000 }
  node { shape: SWITCH bandwidth_gb_per_s: 100 latency_us: 1 }
  ultraserver { shape: SWITCH bandwidth_gb_per_s: 50 latency_us: 5 }
  cluster { shape: SWITCH bandwidth_gb_per_s: 10 latency_us: 15 }
)pb";

topology::Topology FromText(absl::string_view text) {
  absl::StatusOr<proto::TopologySpec> spec = topology::ParseTopologySpec(text);
  EXPECT_TRUE(spec.ok()) << spec.status();
  absl::StatusOr<topology::Topology> t =
      topology::Topology::FromSpec(spec.ok() ? *spec : proto::TopologySpec());
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : topology::Topology();
}

// The node engines of the 4 nodes: members are nodes.
std::shared_ptr<TopologyChooser> NodeChooser(const topology::Topology& t,
                                             TopologyChooser::Observer observer = {}) {
  absl::StatusOr<RankLayout> layout = MemberLayout(t, 4, 1);
  EXPECT_TRUE(layout.ok()) << layout.status();
  absl::StatusOr<std::shared_ptr<TopologyChooser>> chooser =
      TopologyChooser::Create(t, *layout, std::move(observer));
  EXPECT_TRUE(chooser.ok()) << chooser.status();
  return *chooser;
}

constexpr CollectiveKind kTuned[] = {CollectiveKind::kAllReduce, CollectiveKind::kReduceScatter,
                                     CollectiveKind::kAllGather, CollectiveKind::kAllToAll,
                                     CollectiveKind::kBroadcast, CollectiveKind::kReduce};

TEST(TopologyChooserTest, AnswersTheModelsCheapestCandidateAtTheBucket) {
  const topology::Topology t = FromText(kThreeLevels);
  std::shared_ptr<TopologyChooser> chooser = NodeChooser(t);
  for (CollectiveKind kind : kTuned) {
    for (size_t bytes = 1; bytes <= (size_t{1} << 28); bytes = bytes * 3 + 1) {
      absl::StatusOr<Algorithm> chosen = chooser->Choose(kind, bytes, 4);
      ASSERT_TRUE(chosen.ok()) << chosen.status();
      EXPECT_TRUE(AlgorithmApplies(kind, *chosen));
      const size_t bucket = TopologyChooser::BucketOf(bytes);
      double best = 0;
      for (Algorithm a : CostModel::Candidates(kind)) {
        absl::StatusOr<Prediction> p = chooser->model().Predict(kind, a, bucket);
        ASSERT_TRUE(p.ok()) << p.status();
        if (a == CostModel::Candidates(kind).front() || p->seconds() < best) best = p->seconds();
      }
      absl::StatusOr<Prediction> mine = chooser->model().Predict(kind, *chosen, bucket);
      ASSERT_TRUE(mine.ok());
      EXPECT_EQ(mine->seconds(), best) << CollectiveKindName(kind) << " " << bytes << " B";
      // The slice it runs in is the model's for that choice at the bucket.
      EXPECT_EQ(chooser->SliceBytes(kind, bytes, 4, *chosen), mine->slice_bytes);
      EXPECT_EQ(chooser->SliceBytes(kind, bytes, 5, *chosen), 0u);  // not its members
    }
  }
}

TEST(TopologyChooserTest, DiffersFromTheSizeRuleWhereTheTopologySaysSo) {
  const topology::Topology t = FromText(kThreeLevels);
  std::shared_ptr<TopologyChooser> chooser = NodeChooser(t);
  int differences = 0;
  for (CollectiveKind kind : kTuned) {
    for (size_t bytes = 1024; bytes <= (size_t{64} << 20); bytes *= 4) {
      absl::StatusOr<Algorithm> tuned = chooser->Choose(kind, bytes, 4);
      absl::StatusOr<Algorithm> rule = ChooseAlgorithm(kind, bytes, 4);
      ASSERT_TRUE(tuned.ok() && rule.ok());
      if (*tuned != *rule) ++differences;
    }
  }
  EXPECT_GT(differences, 0) << "the tuner never departs from the size rule";
  // 64 MiB across a 10 GB/s cluster level is bandwidth-bound: no binomial tree.
  absl::StatusOr<Algorithm> large = chooser->Choose(CollectiveKind::kAllReduce, 64 << 20, 4);
  ASSERT_TRUE(large.ok());
  EXPECT_NE(*large, Algorithm::kTree);
}

TEST(TopologyChooserTest, BucketsKeepTheTopThreeBits) {
  EXPECT_EQ(TopologyChooser::BucketOf(0), 0u);
  EXPECT_EQ(TopologyChooser::BucketOf(7), 7u);
  EXPECT_EQ(TopologyChooser::BucketOf(1024), 1024u);
  EXPECT_EQ(TopologyChooser::BucketOf(1279), 1024u);
  EXPECT_EQ(TopologyChooser::BucketOf(1280), 1280u);
  EXPECT_EQ(TopologyChooser::BucketOf((size_t{1} << 20) + 3), size_t{1} << 20);
}

TEST(TopologyChooserTest, ReportsEachBucketOnceWhenFirstDecided) {
  const topology::Topology t = FromText(kThreeLevels);
  std::vector<TunedChoice> seen;
  std::shared_ptr<TopologyChooser> chooser =
      NodeChooser(t, [&](const TunedChoice& c) { seen.push_back(c); });
  for (size_t bytes : {1024, 1100, 1279, 1024}) {
    ASSERT_TRUE(chooser->Choose(CollectiveKind::kAllReduce, bytes, 4).ok());
  }
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].bucket_bytes, 1024u);
  EXPECT_EQ(seen[0].next_bucket_bytes, 1280u);
  EXPECT_EQ(seen[0].candidates.size(), CostModel::Candidates(CollectiveKind::kAllReduce).size());
  ASSERT_TRUE(chooser->Choose(CollectiveKind::kAllReduce, 1280, 4).ok());
  ASSERT_TRUE(chooser->Choose(CollectiveKind::kAllGather, 1024, 4).ok());
  EXPECT_EQ(seen.size(), 3u);

  const std::string line = DescribeChoice(seen[0]);
  EXPECT_THAT(line, HasSubstr("all-reduce of 1 KiB..1.25 KiB among 4 members: "));
  EXPECT_THAT(line,
              HasSubstr(std::string(AlgorithmName(seen[0].chosen.algorithm)) + ", predicted "));
  EXPECT_THAT(line, HasSubstr("ring "));
  EXPECT_THAT(line, HasSubstr("direct "));
}

TEST(TopologyChooserTest, RefusesAnotherMemberCount) {
  const topology::Topology t = FromText(kThreeLevels);
  absl::StatusOr<Algorithm> a = NodeChooser(t)->Choose(CollectiveKind::kAllReduce, 1024, 3);
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(a.status().message()), HasSubstr("set up for 4 members"));
}

// A node engine's member sends for all its node's chips: their links together move its bytes, so
// the bandwidth part of every prediction shrinks by the chip count and the latency part stays.
TEST(MemberLayoutTest, AMemberDrivingMoreChipsMovesBytesFaster) {
  const topology::Topology t = FromText(kThreeLevels);
  absl::StatusOr<RankLayout> one = MemberLayout(t, 4, 1, 1);
  absl::StatusOr<RankLayout> two = MemberLayout(t, 4, 1, 2);
  ASSERT_TRUE(one.ok() && two.ok());
  absl::StatusOr<CostModel> slow = CostModel::Create(t, *one);
  absl::StatusOr<CostModel> fast = CostModel::Create(t, *two);
  ASSERT_TRUE(slow.ok() && fast.ok());
  for (Algorithm a : {Algorithm::kRing, Algorithm::kHalvingDoubling, Algorithm::kDirect}) {
    absl::StatusOr<Prediction> p1 = slow->Predict(CollectiveKind::kAllReduce, a, 1 << 24);
    absl::StatusOr<Prediction> p2 = fast->Predict(CollectiveKind::kAllReduce, a, 1 << 24);
    ASSERT_TRUE(p1.ok() && p2.ok());
    EXPECT_DOUBLE_EQ(p2->cost.transfer_s * 2, p1->cost.transfer_s) << AlgorithmName(a);
    EXPECT_DOUBLE_EQ(p2->cost.latency_s, p1->cost.latency_s) << AlgorithmName(a);
  }
  RankLayout none = *one;
  none.chips_per_rank = 0;
  EXPECT_EQ(CostModel::Create(t, none).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MemberLayoutTest, FillsNodesThenUltraServersAndNamesWhatDoesNotFit) {
  const topology::Topology t = FromText(kThreeLevels);
  absl::StatusOr<RankLayout> nodes = MemberLayout(t, 2, 1);
  ASSERT_TRUE(nodes.ok()) << nodes.status();
  EXPECT_EQ(nodes->ranks_per_node, 1);
  EXPECT_EQ(nodes->nodes_per_ultraserver, 2);
  EXPECT_EQ(nodes->ultraservers, 1);
  absl::StatusOr<RankLayout> chips = MemberLayout(t, 8, 2);
  ASSERT_TRUE(chips.ok()) << chips.status();
  EXPECT_EQ(chips->ranks_per_node, 2);
  EXPECT_EQ(chips->ultraservers, 2);

  EXPECT_EQ(chips->chips_per_rank, 1);
  absl::StatusOr<RankLayout> node_members = MemberLayout(t, 4, 1, 2);
  ASSERT_TRUE(node_members.ok()) << node_members.status();
  EXPECT_EQ(node_members->chips_per_rank, 2);

  EXPECT_THAT(std::string(MemberLayout(t, 3, 2).status().message()),
              HasSubstr("3 members do not fill whole nodes of 2"));
  EXPECT_THAT(std::string(MemberLayout(t, 3, 1).status().message()),
              HasSubstr("3 nodes do not fill whole UltraServers of 2 nodes"));
  EXPECT_THAT(std::string(MemberLayout(t, 6, 1).status().message()), HasSubstr("UltraServers"));
}

}  // namespace
}  // namespace ultracc::collectives::tuner
