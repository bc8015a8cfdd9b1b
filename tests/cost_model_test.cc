// The alpha-beta cost model: exact figures on a one-level topology, the levels log rounds cross,
// monotonic in bytes, the expected winners at small and large sizes, layouts, and errors.
#include "collectives/tuner/cost_model.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/topology/presets.h"
#include "runtime/topology/spec_text.h"

namespace ultracc::collectives::tuner {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using topology::Topology;

Topology FromText(absl::string_view text) {
  absl::StatusOr<proto::TopologySpec> spec = topology::ParseTopologySpec(text);
  EXPECT_TRUE(spec.ok()) << spec.status();
  absl::StatusOr<Topology> t = Topology::FromSpec(spec.ok() ? *spec : proto::TopologySpec());
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : Topology();
}

Topology Preset(absl::string_view name) {
  absl::StatusOr<proto::TopologySpec> spec = topology::PresetTopologySpec(name);
  EXPECT_TRUE(spec.ok()) << spec.status();
  absl::StatusOr<Topology> t = Topology::FromSpec(spec.ok() ? *spec : proto::TopologySpec());
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : Topology();
}

// 8 chips on one switch: alpha 2 us, 10 GB/s per chip, no memory figure (no local costs).
constexpr char kFlat[] = R"pb(
  name: "flat"
  chips_per_node: 8
  nodes_per_ultraserver: 1
  ultraservers: 1
  node { shape: SWITCH bandwidth_gb_per_s: 10 latency_us: 2 }
)pb";

// 2 UltraServers x 2 nodes x 2 chips, each level slower than the one below.
constexpr char kThreeLevels[] = R"pb(
  name: "three"
  chips_per_node: 2
  nodes_per_ultraserver: 2
  ultraservers: 2
  chip { memory_bandwidth_gb_per_s: 100 }
  node { shape: SWITCH bandwidth_gb_per_s: 100 latency_us: 1 }
  ultraserver { shape: SWITCH bandwidth_gb_per_s: 50 latency_us: 5 }
  cluster { shape: SWITCH bandwidth_gb_per_s: 10 latency_us: 15 }
)pb";

CostModel Model(const Topology& t, const RankLayout& layout = {}) {
  absl::StatusOr<CostModel> model = CostModel::Create(t, layout);
  EXPECT_TRUE(model.ok()) << model.status();
  return *model;
}

double Seconds(const CostModel& model, CollectiveKind kind, Algorithm algorithm, size_t bytes) {
  absl::StatusOr<Prediction> p = model.Predict(kind, algorithm, bytes);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? p->seconds() : NAN;
}

constexpr CollectiveKind kAllKinds[] = {CollectiveKind::kAllReduce, CollectiveKind::kReduceScatter,
                                        CollectiveKind::kAllGather, CollectiveKind::kAllToAll,
                                        CollectiveKind::kAllToAllv, CollectiveKind::kBroadcast,
                                        CollectiveKind::kReduce,    CollectiveKind::kBarrier};

TEST(CostModelTest, RingAndTreeMatchTheirFormulasOnOneLevel) {
  const CostModel model = Model(FromText(kFlat));
  const double alpha = 2e-6, beta = 1 / 10e9, n = 8, bytes = 8 << 20;
  EXPECT_DOUBLE_EQ(Seconds(model, CollectiveKind::kAllReduce, Algorithm::kRing, bytes),
                   2 * (n - 1) * (alpha + bytes / n * beta));
  EXPECT_DOUBLE_EQ(Seconds(model, CollectiveKind::kAllGather, Algorithm::kRing, bytes),
                   (n - 1) * (alpha + bytes / n * beta));
  EXPECT_DOUBLE_EQ(Seconds(model, CollectiveKind::kBroadcast, Algorithm::kTree, bytes),
                   3 * (alpha + bytes * beta));
  // Power of two: log2(8) rounds each way, moving (n - 1) / n of the data.
  EXPECT_DOUBLE_EQ(Seconds(model, CollectiveKind::kAllReduce, Algorithm::kHalvingDoubling, bytes),
                   6 * alpha + 2 * bytes * (n - 1) / n * beta);
}

TEST(CostModelTest, DirectPaysOneLatencyPerRoundOnItsBusiestLevel) {
  const double bytes = 8 << 20;
  {
    // One level: the round's messages queue on one pipe, their latencies overlap.
    const CostModel flat = Model(FromText(kFlat));
    const double alpha = 2e-6, beta = 1 / 10e9, n = 8;
    EXPECT_DOUBLE_EQ(Seconds(flat, CollectiveKind::kAllToAll, Algorithm::kDirect, bytes),
                     alpha + (n - 1) * bytes / n * beta);
    EXPECT_DOUBLE_EQ(Seconds(flat, CollectiveKind::kAllGather, Algorithm::kDirect, bytes),
                     alpha + (n - 1) * bytes / n * beta);
    // Pairwise waits for each pair in turn: a latency per peer.
    EXPECT_DOUBLE_EQ(Seconds(flat, CollectiveKind::kAllToAll, Algorithm::kPairwise, bytes),
                     (n - 1) * (alpha + bytes / n * beta));
  }
  // Three levels (1, 2 and 4 peers of a rank at 100, 50 and 10 GB/s): the levels' pipes run side
  // by side and the cluster's is the busiest, at any size.
  const CostModel three = Model(FromText(kThreeLevels));
  for (double b : {8.0, bytes}) {
    const double block = b / 8, cluster = 15e-6 + 4 * block / 10e9;
    EXPECT_DOUBLE_EQ(Seconds(three, CollectiveKind::kAllGather, Algorithm::kDirect, b), cluster)
        << b;
  }
  // Small messages: one cluster latency beats the log rounds that cross every level in turn.
  EXPECT_LT(Seconds(three, CollectiveKind::kReduceScatter, Algorithm::kDirect, 64),
            Seconds(three, CollectiveKind::kReduceScatter, Algorithm::kHalvingDoubling, 64));
}

TEST(CostModelTest, TheSliceKeepsReceiveReducesOffTheWindowsLimit) {
  // One level of 8 chips, alpha 2 us at 10 GB/s: 20 KB in flight fill the link, so 4 slices in
  // flight need ~6.7 KB each; a message that fits in 4 slices needs a quarter of itself.
  const CostModel flat = Model(FromText(kFlat));
  auto slice = [&](CollectiveKind kind, Algorithm a, size_t bytes) {
    absl::StatusOr<Prediction> p = flat.Predict(kind, a, bytes);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? p->slice_bytes : 0;
  };
  EXPECT_EQ(slice(CollectiveKind::kAllReduce, Algorithm::kRing, 64 << 20), size_t{64} << 10);
  // A switch level of 1 TB/s and 10 us: 10 MB in flight, so large messages take 4 MiB slices;
  // smaller ones a quarter of a block, rounded up to a candidate.
  const CostModel fast = Model(FromText(R"pb(
    name: "fast"
    chips_per_node: 4
    nodes_per_ultraserver: 1
    ultraservers: 1
    node { shape: SWITCH bandwidth_gb_per_s: 1000 latency_us: 10 }
  )pb"));
  auto fast_slice = [&](CollectiveKind kind, Algorithm a, size_t bytes) {
    absl::StatusOr<Prediction> p = fast.Predict(kind, a, bytes);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? p->slice_bytes : 0;
  };
  EXPECT_EQ(fast_slice(CollectiveKind::kAllReduce, Algorithm::kRing, size_t{1} << 30),
            size_t{4} << 20);
  EXPECT_EQ(fast_slice(CollectiveKind::kReduceScatter, Algorithm::kRing, size_t{16} << 20),
            size_t{1} << 20);  // blocks of 4 MiB: all four slices of 1 MiB in flight
  EXPECT_EQ(fast_slice(CollectiveKind::kAllReduce, Algorithm::kRing, 4096), size_t{64} << 10);
  // Halving-doubling's first, largest round and the tree's whole buffer count too.
  EXPECT_EQ(fast_slice(CollectiveKind::kAllReduce, Algorithm::kHalvingDoubling, 64 << 20),
            size_t{4} << 20);
  EXPECT_EQ(fast_slice(CollectiveKind::kReduce, Algorithm::kTree, 8 << 20), size_t{4} << 20);
  // Without receive-reduces the engine keeps its own slice.
  EXPECT_EQ(fast_slice(CollectiveKind::kAllReduce, Algorithm::kDirect, 64 << 20), 0u);
  EXPECT_EQ(fast_slice(CollectiveKind::kAllGather, Algorithm::kRing, 64 << 20), 0u);
  EXPECT_EQ(fast_slice(CollectiveKind::kAllToAll, Algorithm::kPairwise, 64 << 20), 0u);
}

TEST(CostModelTest, LogRoundsCrossTheLevelsTheirPartnersDifferAt) {
  const CostModel model = Model(FromText(kThreeLevels));
  EXPECT_EQ(model.ranks(), 8);
  // Distances 1, 2, 4 cross node, UltraServer, cluster links.
  const RoundLevels rounds = RoundLevels::Of(model.hierarchy());
  EXPECT_THAT(rounds.halving_doubling, ElementsAre(0, 1, 2));
  EXPECT_EQ(rounds.fold, -1);
  EXPECT_THAT(rounds.binomial_tree, ElementsAre(0, 1, 2));
  EXPECT_EQ(model.hierarchy().LevelBetween(0, 1), 0);
  EXPECT_EQ(model.hierarchy().LevelBetween(1, 2), 1);
  EXPECT_EQ(model.hierarchy().LevelBetween(3, 4), 2);
  EXPECT_EQ(model.hierarchy().PeersAt(0), 1);
  EXPECT_EQ(model.hierarchy().PeersAt(1), 2);
  EXPECT_EQ(model.hierarchy().PeersAt(2), 4);

  // One node per UltraServer: ranks 1 and 2 now meet across the cluster.
  const CostModel four = Model(FromText(kThreeLevels), {.nodes_per_ultraserver = 1});
  EXPECT_EQ(four.ranks(), 4);
  EXPECT_EQ(four.hierarchy().LevelBetween(1, 2), 2);
  EXPECT_THAT(RoundLevels::Of(four.hierarchy()).halving_doubling, ElementsAre(0, 2));
  // Six ranks: 2 * 2 fold in pairs (0, 1) and (2, 3), both within a node.
  const CostModel six = Model(FromText(kFlat), {.ranks_per_node = 6});
  EXPECT_EQ(RoundLevels::Of(six.hierarchy()).fold, 0);
}

TEST(CostModelTest, TimeGrowsWithBytesForEveryAlgorithm) {
  for (absl::string_view text : {kFlat, kThreeLevels}) {
    const CostModel model = Model(FromText(text));
    for (CollectiveKind kind : kAllKinds) {
      for (Algorithm algorithm : CostModel::Candidates(kind)) {
        double previous = -1;
        for (size_t bytes :
             {size_t{0}, size_t{8}, size_t{4096}, size_t{1} << 20, size_t{64} << 20}) {
          const double t = Seconds(model, kind, algorithm, bytes);
          EXPECT_GE(t, previous) << CollectiveKindName(kind) << " " << AlgorithmName(algorithm)
                                 << " at " << bytes;
          previous = t;
        }
      }
    }
  }
}

TEST(CostModelTest, RingBeatsTreeAtLargeSizesAndTreeBeatsRingAtSmallOnes) {
  for (const Topology& t : {FromText(kFlat), FromText(kThreeLevels), Preset("trn3-ultraserver")}) {
    const CostModel model = Model(t);
    const size_t large = size_t{1} << 30, small = 8;
    EXPECT_LT(Seconds(model, CollectiveKind::kAllReduce, Algorithm::kRing, large),
              Seconds(model, CollectiveKind::kAllReduce, Algorithm::kTree, large))
        << t.spec().name();
    EXPECT_LT(Seconds(model, CollectiveKind::kAllReduce, Algorithm::kTree, small),
              Seconds(model, CollectiveKind::kAllReduce, Algorithm::kRing, small))
        << t.spec().name();
    // Bruck's log rounds beat a round per peer for tiny all-to-all blocks.
    EXPECT_LT(Seconds(model, CollectiveKind::kAllToAll, Algorithm::kBruck, small * t.chips()),
              Seconds(model, CollectiveKind::kAllToAll, Algorithm::kPairwise, small * t.chips()))
        << t.spec().name();
  }
}

TEST(CostModelTest, CheapestIsTheMinimumOfItsCandidates) {
  const CostModel model = Model(Preset("trn3-ultracluster:2"));
  for (CollectiveKind kind : kAllKinds) {
    for (size_t bytes : {size_t{1024}, size_t{1} << 20, size_t{64} << 20}) {
      absl::StatusOr<Prediction> best = model.Cheapest(kind, bytes);
      ASSERT_TRUE(best.ok()) << best.status();
      EXPECT_EQ(best->collective, kind);
      EXPECT_EQ(best->bytes, bytes);
      EXPECT_EQ(best->ranks, 288);
      EXPECT_GT(best->seconds(), 0);
      for (Algorithm algorithm : CostModel::Candidates(kind)) {
        EXPECT_LE(best->seconds(), Seconds(model, kind, algorithm, bytes))
            << CollectiveKindName(kind) << " " << AlgorithmName(algorithm);
      }
    }
  }
  absl::StatusOr<Prediction> picked = PickCheapestAlgorithm(
      Preset("trn3-ultraserver"), CollectiveKind::kAllReduce, size_t{64} << 20);
  ASSERT_TRUE(picked.ok()) << picked.status();
  EXPECT_TRUE(AlgorithmApplies(CollectiveKind::kAllReduce, picked->algorithm));
}

TEST(CostModelTest, SlowerLinksCostMore) {
  const Topology t = FromText(kThreeLevels);
  proto::TopologySpec slower = t.spec();
  slower.mutable_cluster()->set_bandwidth_gb_per_s(1);
  slower.mutable_cluster()->set_latency_us(100);
  const CostModel fast = Model(t), slow = Model(*Topology::FromSpec(slower));
  for (CollectiveKind kind : kAllKinds) {
    for (Algorithm algorithm : CostModel::Candidates(kind)) {
      EXPECT_LT(Seconds(fast, kind, algorithm, 1 << 20), Seconds(slow, kind, algorithm, 1 << 20))
          << CollectiveKindName(kind) << " " << AlgorithmName(algorithm);
    }
  }
  // Reductions cost memory time, movements do not.
  EXPECT_GT(fast.Predict(CollectiveKind::kAllReduce, Algorithm::kRing, 1 << 20)->cost.local_s, 0);
  EXPECT_EQ(fast.Predict(CollectiveKind::kAllGather, Algorithm::kRing, 1 << 20)->cost.local_s, 0);
}

TEST(CostModelTest, AutoPredictsTheDefaultRuleAndOtherAlgorithmsMustApply) {
  const CostModel model = Model(FromText(kFlat));
  absl::StatusOr<Prediction> p = model.Predict(CollectiveKind::kAllReduce, Algorithm::kAuto, 8);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->algorithm, *ChooseAlgorithm(CollectiveKind::kAllReduce, 8, 8));
  p = model.Predict(CollectiveKind::kBarrier, Algorithm::kAuto, 0);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_DOUBLE_EQ(p->seconds(), 3 * 2e-6);

  p = model.Predict(CollectiveKind::kAllReduce, Algorithm::kBruck, 1024);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(p.status().message(), HasSubstr("bruck does not run all-reduce"));
}

TEST(CostModelTest, OneRankCostsNothing) {
  const CostModel model = Model(FromText(kFlat), {.ranks_per_node = 1});
  EXPECT_EQ(model.ranks(), 1);
  for (CollectiveKind kind : kAllKinds) {
    for (Algorithm algorithm : CostModel::Candidates(kind)) {
      EXPECT_EQ(Seconds(model, kind, algorithm, 1 << 20), 0) << CollectiveKindName(kind);
    }
  }
}

TEST(CostModelTest, LayoutsMustFitTheTopology) {
  const Topology t = Preset("trn3-ultraserver");
  EXPECT_EQ(Model(t, {.ranks_per_node = 2, .nodes_per_ultraserver = 3}).ranks(), 6);
  absl::StatusOr<CostModel> model = CostModel::Create(t, {.ranks_per_node = 5});
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(model.status().message(), HasSubstr("5 ranks per node"));
  EXPECT_FALSE(CostModel::Create(t, {.ultraservers = 2}).ok());
  EXPECT_FALSE(CostModel::Create(t, {.nodes_per_ultraserver = -1}).ok());
}

}  // namespace
}  // namespace ultracc::collectives::tuner
