// ResolveAlgorithm and the NodeEngine's chooser (collectives/algorithm_chooser.h): a forced
// algorithm that applies wins, otherwise the chooser answers for the collectives it may tune, at
// node level and with the bytes a node moves; a bad answer is an error; the engine runs what the
// chooser says and still computes the right result.
#include "collectives/algorithm_chooser.h"

#include <atomic>
#include <future>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "collectives/node_engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "transport/inproc/inproc_fabric.h"

namespace ultracc::collectives {
namespace {

using ::testing::HasSubstr;

// Answers `answer` (or, for a collective it does not implement, the size rule's) and records what
// it was asked.
class RecordingChooser final : public AlgorithmChooser {
 public:
  struct Question {
    CollectiveKind kind;
    size_t bytes;
    int participants;
  };
  explicit RecordingChooser(Algorithm answer, bool apply_rule_elsewhere = true)
      : answer_(answer), apply_rule_elsewhere_(apply_rule_elsewhere) {}

  absl::StatusOr<Algorithm> Choose(CollectiveKind kind, size_t message_bytes,
                                   int participants) const override {
    absl::MutexLock lock(&mu_);
    asked_.push_back({kind, message_bytes, participants});
    if (apply_rule_elsewhere_ && !AlgorithmApplies(kind, answer_)) {
      return ChooseAlgorithm(kind, message_bytes, participants);
    }
    return answer_;
  }
  std::vector<Question> asked() const {
    absl::MutexLock lock(&mu_);
    return asked_;
  }

 private:
  const Algorithm answer_;
  const bool apply_rule_elsewhere_;
  mutable absl::Mutex mu_;
  mutable std::vector<Question> asked_;
};

TEST(ResolveAlgorithmTest, ForcedWinsWhereItAppliesAndTheChooserAnswersTheRest) {
  RecordingChooser chooser(Algorithm::kDirect);
  // Forced ring implements all-reduce: the chooser is not asked.
  EXPECT_EQ(*ResolveAlgorithm(CollectiveKind::kAllReduce, 1 << 20, 4, Algorithm::kRing, &chooser),
            Algorithm::kRing);
  EXPECT_TRUE(chooser.asked().empty());
  // Forced bruck does not implement all-reduce: the chooser answers, not the size rule (ring).
  EXPECT_EQ(*ResolveAlgorithm(CollectiveKind::kAllReduce, 1 << 20, 4, Algorithm::kBruck, &chooser),
            Algorithm::kDirect);
  EXPECT_EQ(*ResolveAlgorithm(CollectiveKind::kAllToAll, 64, 4, Algorithm::kAuto, &chooser),
            Algorithm::kDirect);
  ASSERT_EQ(chooser.asked().size(), 2u);
  EXPECT_EQ(chooser.asked()[0].bytes, size_t{1} << 20);
  EXPECT_EQ(chooser.asked()[0].participants, 4);
  // Without a chooser, the size rule.
  EXPECT_EQ(*ResolveAlgorithm(CollectiveKind::kAllReduce, 1 << 20, 4, Algorithm::kAuto, nullptr),
            Algorithm::kRing);
}

TEST(ResolveAlgorithmTest, CollectivesWithoutATunableChoiceKeepTheSizeRule) {
  RecordingChooser chooser(Algorithm::kDirect);
  // All-to-allv bytes differ between members; the barrier has one algorithm; one member runs none.
  EXPECT_EQ(*ResolveAlgorithm(CollectiveKind::kAllToAllv, 4096, 4, Algorithm::kAuto, &chooser),
            Algorithm::kPairwise);
  EXPECT_EQ(*ResolveAlgorithm(CollectiveKind::kBarrier, 0, 4, Algorithm::kAuto, &chooser),
            Algorithm::kAuto);
  EXPECT_EQ(*ResolveAlgorithm(CollectiveKind::kAllReduce, 1 << 20, 1, Algorithm::kAuto, &chooser),
            Algorithm::kRing);
  EXPECT_TRUE(chooser.asked().empty());
}

TEST(ResolveAlgorithmTest, AnAnswerThatDoesNotImplementTheCollectiveIsAnError) {
  RecordingChooser chooser(Algorithm::kBruck, /*apply_rule_elsewhere=*/false);
  absl::StatusOr<Algorithm> a =
      ResolveAlgorithm(CollectiveKind::kAllReduce, 1024, 4, Algorithm::kAuto, &chooser);
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(a.status().message()), HasSubstr("answered bruck for all-reduce"));
}

// Two nodes of two chips, each node's engine sharing one chooser.
class ChooserEngineTest : public ::testing::Test {
 protected:
  static constexpr int kNodes = 2, kChips = 2, kWorld = kNodes * kChips;

  void Build(std::shared_ptr<const AlgorithmChooser> chooser) {
    for (int n = 0; n < kNodes; ++n) {
      engines_.push_back(
          std::make_unique<NodeEngine>(NodeEngineOptions{.node_rank = n,
                                                         .num_nodes = kNodes,
                                                         .total_ranks = kWorld,
                                                         .transport = fabric_.member(n),
                                                         .chooser = chooser}));
    }
  }

  // Runs body(node) on both nodes at once.
  void OnEveryNode(const std::function<absl::Status(int)>& body) {
    std::vector<std::future<absl::Status>> running;
    for (int n = 0; n < kNodes; ++n) running.push_back(std::async(std::launch::async, body, n));
    for (auto& r : running) EXPECT_TRUE(r.get().ok());
  }

  transport::inproc::InProcFabric fabric_{kNodes};
  std::vector<std::unique_ptr<NodeEngine>> engines_;
};

TEST_F(ChooserEngineTest, RunsTheChoiceAskedAtNodeLevelAndGetsTheRightResult) {
  auto chooser = std::make_shared<RecordingChooser>(Algorithm::kDirect);
  Build(chooser);
  constexpr size_t kCount = 1000;
  // Chip g contributes g + 1 everywhere.
  std::vector<std::vector<float>> data(kWorld);
  for (int g = 0; g < kWorld; ++g) data[g].assign(kCount, static_cast<float>(g + 1));
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  OnEveryNode([&](int n) {
    std::vector<const void*> ins;
    std::vector<void*> outs;
    for (int c = 0; c < kChips; ++c) {
      ins.push_back(data[n * kChips + c].data());
      outs.push_back(data[n * kChips + c].data());
    }
    return engines_[n]->AllReduce(ins, outs, kCount, DataType::kFloat32, RedOp::kSum, 1, deadline);
  });
  for (int g = 0; g < kWorld; ++g) EXPECT_EQ(data[g][kCount - 1], 10.0f) << "chip " << g;

  // All-to-all: a node packs its chips' inputs, so it asks with kChips times a chip's bytes.
  constexpr size_t kBlock = 16;
  std::vector<std::vector<int32_t>> in(kWorld), out(kWorld);
  for (int g = 0; g < kWorld; ++g) {
    in[g].resize(kWorld * kBlock);
    out[g].assign(kWorld * kBlock, -1);
    for (size_t i = 0; i < in[g].size(); ++i) in[g][i] = static_cast<int32_t>(g * 1000 + i);
  }
  OnEveryNode([&](int n) {
    std::vector<const void*> ins;
    std::vector<void*> outs;
    for (int c = 0; c < kChips; ++c) {
      ins.push_back(in[n * kChips + c].data());
      outs.push_back(out[n * kChips + c].data());
    }
    return engines_[n]->AllToAll(ins, outs, kBlock, DataType::kInt32, 2, deadline);
  });
  for (int g = 0; g < kWorld; ++g) {
    for (int src = 0; src < kWorld; ++src) {
      EXPECT_EQ(out[g][src * kBlock], static_cast<int32_t>(src * 1000 + g * kBlock))
          << "chip " << g << " from " << src;
    }
  }

  const std::vector<RecordingChooser::Question> asked = chooser->asked();
  ASSERT_EQ(asked.size(), 4u);  // each question once per node
  for (const RecordingChooser::Question& q : asked) EXPECT_EQ(q.participants, kNodes);
  EXPECT_EQ(asked[0].kind, CollectiveKind::kAllReduce);
  EXPECT_EQ(asked[0].bytes, kCount * sizeof(float));
  EXPECT_EQ(asked[3].kind, CollectiveKind::kAllToAll);
  EXPECT_EQ(asked[3].bytes, kChips * kWorld * kBlock * sizeof(int32_t));
  EXPECT_EQ(NodeMessageBytes(CollectiveKind::kAllToAll, 100, kChips), 100u * kChips);
  EXPECT_EQ(NodeMessageBytes(CollectiveKind::kAllGather, 100, kChips), 100u);
}

// A chooser that runs the ring in slices of a few elements: the engine passes the slice to the
// executor, which cuts every message into many pieces, and the result stays exact.
class SlicingChooser final : public AlgorithmChooser {
 public:
  absl::StatusOr<Algorithm> Choose(CollectiveKind kind, size_t message_bytes,
                                   int participants) const override {
    return AlgorithmApplies(kind, Algorithm::kRing)
               ? Algorithm::kRing
               : ChooseAlgorithm(kind, message_bytes, participants);
  }
  size_t SliceBytes(CollectiveKind, size_t, int, Algorithm algorithm) const override {
    asked_ += 1;
    return algorithm == Algorithm::kRing ? 12 : 0;
  }
  mutable std::atomic<int> asked_{0};
};

TEST_F(ChooserEngineTest, TheChoosersSliceCutsTheMessages) {
  auto chooser = std::make_shared<SlicingChooser>();
  Build(chooser);
  constexpr size_t kCount = 1001;
  std::vector<std::vector<float>> data(kWorld), scattered(kWorld, std::vector<float>(kCount));
  for (int g = 0; g < kWorld; ++g) data[g].assign(kWorld * kCount, static_cast<float>(g + 1));
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  OnEveryNode([&](int n) {
    std::vector<const void*> ins;
    std::vector<void*> outs;
    for (int c = 0; c < kChips; ++c) {
      ins.push_back(data[n * kChips + c].data());
      outs.push_back(scattered[n * kChips + c].data());
    }
    if (absl::Status s = engines_[n]->ReduceScatter(ins, outs, kCount, DataType::kFloat32,
                                                    RedOp::kSum, 1, deadline);
        !s.ok()) {
      return s;
    }
    outs.clear();
    for (int c = 0; c < kChips; ++c) outs.push_back(data[n * kChips + c].data());
    return engines_[n]->AllReduce(ins, outs, kWorld * kCount, DataType::kFloat32, RedOp::kSum, 2,
                                  deadline);
  });
  const float sum = kWorld * (kWorld + 1) / 2.0f;
  for (int g = 0; g < kWorld; ++g) {
    for (float x : scattered[g]) ASSERT_EQ(x, sum) << "chip " << g;
    for (float x : data[g]) ASSERT_EQ(x, sum) << "chip " << g;
  }
  EXPECT_EQ(chooser->asked_.load(), 2 * kNodes);
}

TEST_F(ChooserEngineTest, AForcedAlgorithmIsNotAskedAbout) {
  auto chooser = std::make_shared<RecordingChooser>(Algorithm::kDirect);
  Build(chooser);
  std::vector<std::vector<float>> data(kWorld, std::vector<float>(64, 1.0f));
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  OnEveryNode([&](int n) {
    std::vector<const void*> ins = {data[n * 2].data(), data[n * 2 + 1].data()};
    std::vector<void*> outs = {data[n * 2].data(), data[n * 2 + 1].data()};
    return engines_[n]->AllReduce(ins, outs, 64, DataType::kFloat32, RedOp::kSum, 1, deadline,
                                  Algorithm::kRing);
  });
  EXPECT_EQ(data[0][0], 4.0f);
  EXPECT_TRUE(chooser->asked().empty());
}

}  // namespace
}  // namespace ultracc::collectives
