// `ultracc topo show|validate|dump SPEC` through the built binary: the tree and chip count of a
// preset, OK or the located error and exit 1, and a dump that reads back the same.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/subprocess.h"

namespace ultracc {
namespace {

using ::testing::HasSubstr;
using ::ultracc::testing::Subprocess;
using ::ultracc::testing::SubprocessOptions;
using ::ultracc::testing::SubprocessResult;

SubprocessResult RunCli(std::vector<std::string> args) {
  SubprocessOptions options;
  options.argv = {ULTRACC_LAUNCHER, "topo"};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  auto process = Subprocess::Start(options);
  EXPECT_TRUE(process.ok()) << process.status();
  if (!process.ok()) return {};
  auto result = (*process)->Wait(absl::Now() + absl::Seconds(30));
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : SubprocessResult{};
}

std::string WriteFile(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(TopoCommandTest, ShowPrintsTheTreeChipsAndBandwidths) {
  SubprocessResult r = RunCli({"show", "trn3-ultraserver"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* text : {"topology trn3-ultraserver", "UltraServer x1: 36 nodes",
                           "node x36: 4 chips", "chip x144: Trainium3, 144 GiB at 4.9 TB/s",
                           "total                144 chips = ", "2 TB/s per chip", "9.5 us per hop",
                           "aggregate 288 TB/s per UltraServer", "bisection 144 TB/s",
                           "bisection bandwidth  144 TB/s (halving the UltraServer level)"}) {
    EXPECT_THAT(r.out, HasSubstr(text)) << r.out;
  }
  SubprocessResult cluster = RunCli({"show", "trn3-ultracluster:2"});
  EXPECT_EQ(cluster.exit_code, 0) << cluster.err;
  EXPECT_THAT(cluster.out,
              HasSubstr("total                288 chips = 2 UltraServers x 36 nodes x 4 chips"));
  EXPECT_THAT(cluster.out, HasSubstr("25 GB/s per chip, 15 us per hop"));
  EXPECT_THAT(cluster.out, HasSubstr("(halving the cluster level)"));
}

TEST(TopoCommandTest, ValidateSaysOkOrNamesTheFieldAndLine) {
  SubprocessResult ok = RunCli({"validate", "trn2-ultraserver"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "OK: trn2-ultraserver, 64 chips\n");

  const std::string bad = WriteFile("topo_command_bad.textproto",
                                    "chips_per_node: 4\n"
                                    "nodes_per_ultraserver: 1\n"
                                    "ultraservers: 1\n"
                                    "node {\n"
                                    "  shape: SWITCH\n"
                                    "  bandwidth_gb_per_s: -2\n"
                                    "}\n");
  SubprocessResult r = RunCli({"validate", bad});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr(bad + ":6:3: node.bandwidth_gb_per_s: must be positive, got -2"));

  const std::string typo = WriteFile("topo_command_typo.textproto",
                                     "chips_per_node: 4\nnode { shape: SWITCH latency_us: 1us }\n");
  r = RunCli({"validate", typo});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(typo + ":2:"));
  EXPECT_THAT(r.err, HasSubstr("node.latency_us"));

  r = RunCli({"show", "no-such-topology"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("neither a preset (trn3-ultraserver"));
  r = RunCli({"validate", "trn3-ultracluster:7000"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("from 1 to 6944"));
  std::remove(bad.c_str());
  std::remove(typo.c_str());
}

TEST(TopoCommandTest, TheExampleFileIsValid) {
  const std::string example =
      std::string(ULTRACC_SOURCE_DIR) + "/tools/topo/examples/small-cluster.textproto";
  SubprocessResult r = RunCli({"validate", example});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "OK: small-cluster, 8 chips\n");
}

TEST(TopoCommandTest, DumpReadsBackTheSame) {
  SubprocessResult dump = RunCli({"dump", "trn3-ultraserver-gen1"});
  EXPECT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_THAT(dump.out, HasSubstr("chips_per_node: 16"));
  const std::string path = WriteFile("topo_command_dump.textproto", dump.out);
  SubprocessResult again = RunCli({"dump", path});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, dump.out);
  std::remove(path.c_str());
}

TEST(TopoCommandTest, MissingSpecIsAUsageError) {
  SubprocessResult r = RunCli({"show"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.exit_code, 1);  // CLI11's usage codes, not a spec error
  EXPECT_THAT(r.err, HasSubstr("SPEC"));
}

}  // namespace
}  // namespace ultracc
