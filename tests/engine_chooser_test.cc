// EngineChooser (runtime/engine/engine_chooser.h): no tuner without ULTRACC_TOPOLOGY, the tuner of
// the configured topology for a node engine's members, a refusal naming ULTRACC_TOPOLOGY when the
// members do not fit it, and ULTRACC_DEBUG=TUNING's one line per new choice.
#include "runtime/engine/engine_chooser.h"

#include <stdio.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "collectives/tuner/member_layout.h"
#include "collectives/tuner/topology_chooser.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ultracc::engine {
namespace {

using collectives::Algorithm;
using collectives::CollectiveKind;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Config WithTopology(const std::string& spec, bool trace) {
  absl::StatusOr<Config> c = Config::FromEnvironmentWith(
      {{"ULTRACC_TOPOLOGY", spec}, {"ULTRACC_DEBUG", trace ? "TUNING" : ""}});
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : Config();
}

// Captures what is written to file descriptor 2 while it lives.
class StderrCapture {
 public:
  StderrCapture() {
    fflush(stderr);
    file_ = tmpfile();
    saved_ = dup(2);
    dup2(fileno(file_), 2);
  }
  ~StderrCapture() { Restore(); }
  std::vector<std::string> Lines() {
    Restore();
    std::string text;
    rewind(file_);
    char buffer[4096];
    for (size_t n; (n = fread(buffer, 1, sizeof(buffer), file_)) > 0;) text.append(buffer, n);
    return absl::StrSplit(text, '\n', absl::SkipEmpty());
  }

 private:
  void Restore() {
    if (saved_ < 0) return;
    dup2(saved_, 2);
    close(saved_);
    saved_ = -1;
  }
  FILE* file_ = nullptr;
  int saved_ = -1;
};

TEST(EngineChooserTest, NoTopologyMeansTheSizeRule) {
  absl::StatusOr<Config> c = Config::FromEnvironmentWith({{"ULTRACC_TOPOLOGY", ""}});
  ASSERT_TRUE(c.ok()) << c.status();
  absl::StatusOr<std::shared_ptr<const collectives::AlgorithmChooser>> chooser =
      EngineChooser(*c, 4, 1, 4, "node 0");
  ASSERT_TRUE(chooser.ok()) << chooser.status();
  EXPECT_EQ(*chooser, nullptr);
}

TEST(EngineChooserTest, TheTopologysTunerForTheNodes) {
  const Config config = WithTopology("trn3-ultracluster:2", false);
  absl::StatusOr<std::shared_ptr<const collectives::AlgorithmChooser>> chooser =
      EngineChooser(config, 4, 1, 4, "node 0");
  ASSERT_TRUE(chooser.ok()) << chooser.status();
  ASSERT_NE(*chooser, nullptr);
  // The same answers as a tuner made directly for 4 nodes of 4 chips filling the topology in order.
  absl::StatusOr<collectives::tuner::RankLayout> layout =
      collectives::tuner::MemberLayout(*config.topology, 4, 1, 4);
  ASSERT_TRUE(layout.ok()) << layout.status();
  auto direct = collectives::tuner::TopologyChooser::Create(*config.topology, *layout);
  ASSERT_TRUE(direct.ok()) << direct.status();
  for (size_t bytes = 1; bytes <= (size_t{1} << 26); bytes *= 8) {
    EXPECT_EQ(*(*chooser)->Choose(CollectiveKind::kAllReduce, bytes, 4),
              *(*direct)->Choose(CollectiveKind::kAllReduce, bytes, 4))
        << bytes;
  }
}

TEST(EngineChooserTest, MembersThatDoNotFitAreRefusedNamingTheVariable) {
  const Config config = WithTopology("trn3-ultracluster:2", false);
  absl::StatusOr<std::shared_ptr<const collectives::AlgorithmChooser>> chooser =
      EngineChooser(config, 3 * 36, 1, 4, "node 5");
  ASSERT_FALSE(chooser.ok());
  EXPECT_EQ(chooser.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(chooser.status().message()),
              StartsWith("ULTRACC_TOPOLOGY=trn3-ultracluster:2: node 5: "));
  EXPECT_THAT(std::string(chooser.status().message()), HasSubstr("UltraServers"));
}

TEST(EngineChooserTest, TuningTracesEachNewChoiceOnceWithItsPredictedTime) {
  const Config config = WithTopology("trn3-ultracluster:2", true);
  absl::StatusOr<std::shared_ptr<const collectives::AlgorithmChooser>> chooser =
      EngineChooser(config, 2, 1, 4, "node 1");
  ASSERT_TRUE(chooser.ok()) << chooser.status();
  StderrCapture capture;
  for (int repeat = 0; repeat < 3; ++repeat) {
    ASSERT_TRUE((*chooser)->Choose(CollectiveKind::kAllReduce, 1 << 20, 2).ok());
    ASSERT_TRUE((*chooser)->Choose(CollectiveKind::kAllToAll, 4096, 2).ok());
  }
  const std::vector<std::string> lines = capture.Lines();
  ASSERT_EQ(lines.size(), 2u) << absl::StrJoin(lines, "\n");
  Algorithm chosen = *(*chooser)->Choose(CollectiveKind::kAllReduce, 1 << 20, 2);
  EXPECT_THAT(lines[0], HasSubstr("] TUNING: node 1: all-reduce of 1 MiB..1.25 MiB among 2 "
                                  "members: " +
                                  std::string(collectives::AlgorithmName(chosen))));
  EXPECT_THAT(lines[0], HasSubstr(", predicted "));
  EXPECT_THAT(lines[0], HasSubstr(" us ("));
  EXPECT_THAT(lines[1], HasSubstr("TUNING: node 1: all-to-all of 4 KiB..5 KiB among 2 members"));
}

TEST(EngineChooserTest, WithoutTuningNothingIsTraced) {
  const Config config = WithTopology("trn3-ultracluster:2", false);
  absl::StatusOr<std::shared_ptr<const collectives::AlgorithmChooser>> chooser =
      EngineChooser(config, 2, 1, 4, "node 0");
  ASSERT_TRUE(chooser.ok()) << chooser.status();
  StderrCapture capture;
  ASSERT_TRUE((*chooser)->Choose(CollectiveKind::kAllReduce, 1 << 20, 2).ok());
  EXPECT_TRUE(capture.Lines().empty());
}

// Chips as members on a torus node level ring through the tori; nodes as members keep rank order,
// as does no topology.
TEST(EngineRingOrderTest, ChipMembersOfTorusNodesSnakeAndOthersKeepRankOrder) {
  const Config torus = WithTopology("trn2-ultraserver", false);
  const collectives::RingOrder chips = EngineRingOrder(torus, 64, 16, 1);
  ASSERT_EQ(chips.members().size(), 64u);
  EXPECT_EQ(chips.At(0, 64), 0);
  EXPECT_EQ(chips.At(4, 64), 7);  // row 1 of node 0 walks back from its last column
  EXPECT_TRUE(EngineRingOrder(torus, 4, 1, 16).natural());
  EXPECT_TRUE(EngineRingOrder(Config(), 64, 16, 1).natural());
}

}  // namespace
}  // namespace ultracc::engine
