// `ultracc bench --virtual-chips` (engine-only mode) and --topology: every collective checked on
// every virtual chip with 0 wrong in nccl-tests' layout and factors, a whole 144-chip UltraServer
// swept, the cost model's predicted column, the tuner's choice in the algorithm column, and the
// errors that name what does not fit.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "collectives/node_engine.h"
#include "collectives/tuner/member_layout.h"
#include "collectives/tuner/topology_chooser.h"
#include "gtest/gtest.h"
#include "runtime/topology/topology_source.h"
#include "tests/testing/bench_output.h"

namespace ultracc {
namespace {

using ::ultracc::testing::BusFactor;
using ::ultracc::testing::HasInPlace;
using ::ultracc::testing::ParseTable;
using ::ultracc::testing::Rooted;
using ::ultracc::testing::RunCli;
using ::ultracc::testing::SubprocessResult;
using ::ultracc::testing::Table;
using ::ultracc::testing::TableRow;

TEST(BenchVirtualTest, EveryCollectiveChecksZeroWrongOnEveryChip) {
  SubprocessResult r = RunCli({ULTRACC_LAUNCHER,
                               "bench",
                               "all",
                               "--virtual-chips",
                               "--nodes",
                               "3",
                               "--chips-per-node",
                               "2",
                               "-b",
                               "8",
                               "-e",
                               "4K",
                               "-f",
                               "8",
                               "-n",
                               "3",
                               "-w",
                               "1",
                               "-r",
                               "5",
                               "--show-algorithm"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("6 virtual chips on 3 nodes x 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("check 1"), std::string::npos) << "engine-only mode checks by default";
  Table table = ParseTable(r.out);
  std::map<std::string, int> rows_per_collective;
  for (const TableRow& row : table.rows) {
    ++rows_per_collective[row.collective];
    const std::vector<std::string>& f = row.fields;
    ASSERT_EQ(f.size(), 18u) << row.collective << ": " << absl::StrJoin(f, " ");
    EXPECT_EQ(f[8], "0") << row.collective << " out of place";
    EXPECT_EQ(f[12], HasInPlace(row.collective) ? "0" : "N/A") << row.collective << " in place";
    EXPECT_EQ(f[4], Rooted(row.collective) ? "5" : "-1") << row.collective;
    const double factor = BusFactor(row.collective, 6);
    EXPECT_NEAR(std::stod(f[7]), std::stod(f[6]) * factor, 0.005 + 0.005 * factor)
        << row.collective;
  }
  EXPECT_EQ(rows_per_collective.size(), 9u);
  for (const auto& [collective, rows] : rows_per_collective) EXPECT_EQ(rows, 4) << collective;
  ASSERT_EQ(table.footers.size(), 18u);
  for (size_t i = 0; i < table.footers.size(); i += 2) {
    EXPECT_EQ(table.footers[i], "# Out of bounds values : 0 OK");
  }
}

TEST(BenchVirtualTest, AWholeUltraServerOf144ChipsSweepsEveryCollective) {
  SubprocessResult r =
      RunCli({ULTRACC_LAUNCHER, "bench", "all", "--virtual-chips", "--topology", "trn3-ultraserver",
              "-b", "8", "-e", "64K", "-f", "64", "-n", "1", "-w", "0"},
             absl::Seconds(90));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("144 virtual chips on 36 nodes x 4"), std::string::npos) << r.out;
  Table table = ParseTable(r.out);
  EXPECT_EQ(table.rows.size(), 9u * 3u);
  for (const TableRow& row : table.rows) {
    ASSERT_GE(row.fields.size(), 9u);
    EXPECT_EQ(row.fields[8], "0") << row.collective;
  }
}

TEST(BenchVirtualTest, TopologyAddsThePredictedColumnGrowingWithSize) {
  SubprocessResult r = RunCli({ULTRACC_LAUNCHER,
                               "bench",
                               "all_reduce",
                               "--virtual-chips",
                               "--topology",
                               "trn3-ultraserver",
                               "--nodes",
                               "4",
                               "--chips-per-node",
                               "2",
                               "-b",
                               "1K",
                               "-e",
                               "16M",
                               "-f",
                               "16",
                               "-n",
                               "1",
                               "-w",
                               "0",
                               "-c",
                               "0"},
                              absl::Seconds(90));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("  predicted"), std::string::npos) << r.out;
  Table table = ParseTable(r.out);
  ASSERT_EQ(table.rows.size(), 4u);  // 1K, 16K, 256K, 4M
  double previous = 0;
  for (const TableRow& row : table.rows) {
    ASSERT_EQ(row.fields.size(), 18u) << absl::StrJoin(row.fields, " ");
    EXPECT_EQ(row.fields[8], "N/A");  // -c 0
    const double predicted = std::stod(row.fields[17]);
    EXPECT_GT(predicted, previous) << row.fields[0] << " B";
    previous = predicted;
  }
  // 4 MiB over 2 TB/s NeuronLink links: some microseconds, far from this host's milliseconds.
  EXPECT_LT(previous, 1000.0);
}

TEST(BenchVirtualTest, EmulatedLinksKeepTheTopologysRatiosAndTheResults) {
  // small-cluster: 2 UltraServers x 2 nodes x 2 chips; the switch 80 times EFA's bandwidth.
  SubprocessResult r =
      RunCli({ULTRACC_LAUNCHER, "bench", "all_reduce,all_to_all", "--virtual-chips", "--topology",
              ULTRACC_SMALL_CLUSTER, "--emulate-links", "400", "-b", "8", "-e", "64K", "-f", "64",
              "-n", "2", "-w", "1"},
             absl::Seconds(90));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("8 virtual chips on 4 nodes x 2"), std::string::npos) << r.out;
  // 2 chips x 2000 GB/s = 4000 GB/s per node shown as 400 GB/s: 10 times slower; EFA 5 GB/s.
  EXPECT_NE(r.out.find("# emulated links (10x slower than"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("UltraServer 400 GB/s 95 us, cluster 5 GB/s 150 us"), std::string::npos)
      << r.out;
  Table table = ParseTable(r.out);
  ASSERT_EQ(table.rows.size(), 2u * 3u);
  for (const TableRow& row : table.rows) EXPECT_EQ(row.fields[8], "0") << row.collective;
}

// The algorithm column names what the engines run once the tuner decides: its choice between the
// 4 nodes of the small cluster, weighed by the bytes a node moves (all-to-all packs both chips),
// and ULTRACC_ALGO where that applies.
TEST(BenchVirtualTest, TheAlgorithmColumnIsTheTunersChoice) {
  const std::string spec = ULTRACC_SMALL_CLUSTER;
  absl::StatusOr<topology::Topology> topo = topology::LoadTopology(spec);
  ASSERT_TRUE(topo.ok()) << topo.status();
  absl::StatusOr<collectives::tuner::RankLayout> layout =
      collectives::tuner::MemberLayout(*topo, 4, 1, 2);
  ASSERT_TRUE(layout.ok()) << layout.status();
  auto tuner = collectives::tuner::TopologyChooser::Create(*topo, *layout);
  ASSERT_TRUE(tuner.ok()) << tuner.status();
  const std::map<std::string, collectives::CollectiveKind> kinds = {
      {"all_reduce", collectives::CollectiveKind::kAllReduce},
      {"all_to_all", collectives::CollectiveKind::kAllToAll}};

  for (const std::string forced : {"", "ring"}) {
    SubprocessResult r = RunCli({"env", "ULTRACC_ALGO=" + forced, ULTRACC_LAUNCHER, "bench",
                                 "all_reduce,all_to_all", "--virtual-chips", "--topology", spec,
                                 "--show-algorithm", "-b", "1K", "-e", "1M", "-f", "32", "-n", "1",
                                 "-w", "0"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    Table table = ParseTable(r.out);
    ASSERT_EQ(table.rows.size(), 2u * 3u) << r.out;  // 1K, 32K, 1M
    int departures = 0;
    for (const TableRow& row : table.rows) {
      ASSERT_EQ(row.fields.size(), 19u) << absl::StrJoin(row.fields, " ");
      EXPECT_EQ(row.fields[8], "0") << row.collective;
      const collectives::CollectiveKind kind = kinds.at(row.collective);
      const size_t bytes = std::stoul(row.fields[0]);
      const size_t node_bytes = collectives::NodeMessageBytes(kind, bytes, 2);
      collectives::Algorithm expected = *(*tuner)->Choose(kind, node_bytes, 4);
      if (forced == "ring" && kind == collectives::CollectiveKind::kAllReduce) {
        expected = collectives::Algorithm::kRing;
      }
      EXPECT_EQ(row.fields[18], collectives::AlgorithmName(expected))
          << row.collective << " " << bytes << " B, ULTRACC_ALGO=" << forced;
      if (expected != *collectives::ChooseAlgorithm(kind, node_bytes, 4)) ++departures;
    }
    // Otherwise the size rule would pass this test as well.
    if (forced.empty()) {
      EXPECT_GT(departures, 0);
    }
  }
}

TEST(BenchVirtualTest, WhatDoesNotFitIsRefusedByName) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--virtual-chips", "--topology", "no-such-preset"}, "--topology no-such-preset"},
      {{"--topology", "trn3-ultraserver"}, "--virtual-chips"},
      {{"--virtual-chips", "--topology", "trn3-ultraserver", "--chips-per-node", "8"},
       "do not fit"},
      {{"--virtual-chips", "--topology", "trn3-ultraserver", "--ultraservers", "2"},
       "--ultraservers 2"},
      {{"--virtual-chips", "--ultraservers", "1"}, "--ultraservers needs --topology"},
      {{"--virtual-chips", "--transport", "tcp"}, "--transport"},
      {{"--virtual-chips", "--nodes", "2", "-r", "2"}, "-r 2"},
      {{"--virtual-chips", "--emulate-links", "4"}, "--emulate-links needs --topology"},
      {{"--nodes", "2", "--emulate-links", "4"}, "--emulate-links needs --topology"},
      {{"--virtual-chips", "--topology", "trn3-ultraserver", "--emulate-links", "0"},
       "--emulate-links"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {ULTRACC_LAUNCHER, "bench", "all_reduce", "-e", "64"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    SubprocessResult r = RunCli(argv);
    EXPECT_EQ(r.exit_code, 2) << absl::StrJoin(c.args, " ") << ": " << r.out << r.err;
    EXPECT_TRUE(absl::StrContains(r.err, c.message)) << absl::StrJoin(c.args, " ") << ": " << r.err;
  }
}

}  // namespace
}  // namespace ultracc
