// `ultracc bench`: runs the benchmark over a 2-node x 2-chip job and reads what it prints and
// writes. The table must keep nccl-tests' columns, busbw/algbw must be the nccl-tests factor for
// n = 4 ranks, every collective must check 0 wrong, and the JSON, CSV and SVG files must agree
// with the table. Bad flags fail before anything is launched, naming the flag. In process: the
// check's reference arithmetic and that it counts a collective that did not run as wrong.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "boost/property_tree/ptree.hpp"
#include "boost/property_tree/xml_parser.hpp"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/bench_output.h"
#include "tests/testing/subprocess.h"
#include "tools/bench/bench_options.h"
#include "tools/bench/collective_case.h"
#include "tools/bench/element_values.h"

namespace ultracc {
namespace {

using ::ultracc::testing::BusFactor;
using ::ultracc::testing::HasInPlace;
using ::ultracc::testing::ParseTable;
using ::ultracc::testing::Reduces;
using ::ultracc::testing::Rooted;
using ::ultracc::testing::RunCli;
using ::ultracc::testing::SubprocessResult;
using ::ultracc::testing::Table;
using ::ultracc::testing::TableRow;

constexpr int kRanks = 4;

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/ultracc_bench_test_" +
         std::to_string(getpid()) + "_" + name;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class BenchTest : public ::testing::Test {
 protected:
  // One checked sweep of every collective, shared by the tests that read its outputs.
  static void SetUpTestSuite() {
    json_ = new std::string(TempPath("all.json"));
    csv_ = new std::string(TempPath("all.csv"));
    svg_ = new std::string(TempPath("all.svg"));
    result_ = new SubprocessResult(RunCli({ULTRACC_LAUNCHER,
                                           "bench",
                                           "all",
                                           "--nodes",
                                           "2",
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
                                           "-c",
                                           "1",
                                           "-r",
                                           "1",
                                           "--show-algorithm",
                                           "--json",
                                           *json_,
                                           "--csv",
                                           *csv_,
                                           "--plot",
                                           *svg_,
                                           "-T",
                                           "50"}));
  }
  static void TearDownTestSuite() {
    for (const std::string* p : {json_, csv_, svg_}) std::remove(p->c_str());
    delete json_;
    delete csv_;
    delete svg_;
    delete result_;
  }

  static std::string* json_;
  static std::string* csv_;
  static std::string* svg_;
  static SubprocessResult* result_;
};

std::string* BenchTest::json_ = nullptr;
std::string* BenchTest::csv_ = nullptr;
std::string* BenchTest::svg_ = nullptr;
SubprocessResult* BenchTest::result_ = nullptr;

TEST_F(BenchTest, EveryCollectiveChecksZeroWrongInTheLayoutOfNcclTests) {
  ASSERT_EQ(result_->exit_code, 0) << result_->out << result_->err;
  const std::string& out = result_->out;
  EXPECT_NE(out.find("#       size         count      type   redop    root     time   algbw   "
                     "busbw #wrong     time   algbw   busbw #wrong"),
            std::string::npos)
      << out;
  Table table = ParseTable(out);
  std::map<std::string, int> rows_per_collective;
  for (const TableRow& row : table.rows) {
    ++rows_per_collective[row.collective];
    // size count type redop root | time algbw busbw #wrong (out of place, in place) | p50 p99 x 2
    // | algorithm.
    ASSERT_EQ(row.fields.size(), 18u) << row.collective << ": " << absl::StrJoin(row.fields, " ");
    const std::vector<std::string>& f = row.fields;
    EXPECT_EQ(f[2], "float");
    EXPECT_EQ(f[3], Reduces(row.collective) ? "sum" : "none") << row.collective;
    EXPECT_EQ(f[4], Rooted(row.collective) ? "1" : "-1") << row.collective;
    EXPECT_EQ(std::stoul(f[0]), std::stoul(f[1]) * 4) << row.collective;  // float
    EXPECT_EQ(f[8], "0") << row.collective << " out of place";
    EXPECT_EQ(f[12], HasInPlace(row.collective) ? "0" : "N/A") << row.collective << " in place";
    // Rounded to two decimals in the table: busbw = algbw x factor within that rounding.
    const double factor = BusFactor(row.collective, kRanks);
    EXPECT_NEAR(std::stod(f[7]), std::stod(f[6]) * factor, 0.005 + 0.005 * factor)
        << row.collective;
    EXPECT_FALSE(f[17].empty());
  }
  EXPECT_EQ(rows_per_collective.size(), 9u);
  for (const auto& [collective, rows] : rows_per_collective) {
    EXPECT_EQ(rows, 4) << collective;  // 8, 64, 512, 4096 bytes
  }
  ASSERT_EQ(table.footers.size(), 18u) << out;
  for (size_t i = 0; i < table.footers.size(); i += 2) {
    EXPECT_EQ(table.footers[i], "# Out of bounds values : 0 OK");
    EXPECT_TRUE(absl::StartsWith(table.footers[i + 1], "# Avg bus bandwidth    : "));
  }
}

TEST_F(BenchTest, JsonHasTheTableRowsAndTheExactBusBandwidthFactors) {
  ASSERT_EQ(result_->exit_code, 0) << result_->err;
  Table table = ParseTable(result_->out);
  nlohmann::json j = nlohmann::json::parse(ReadFile(*json_));
  EXPECT_EQ(j["nranks"], kRanks);
  EXPECT_EQ(j["nodes"], 2);
  ASSERT_EQ(j["results"].size(), table.rows.size());
  for (size_t i = 0; i < table.rows.size(); ++i) {
    const nlohmann::json& r = j["results"][i];
    const std::vector<std::string>& f = table.rows[i].fields;
    EXPECT_EQ(r["collective"], table.rows[i].collective);
    EXPECT_EQ(std::to_string(r["size"].get<size_t>()), f[0]);
    EXPECT_EQ(std::to_string(r["count"].get<size_t>()), f[1]);
    EXPECT_EQ(r["type"], f[2]);
    EXPECT_EQ(r["redop"], f[3]);
    EXPECT_EQ(std::to_string(r["root"].get<int>()), f[4]);
    EXPECT_EQ(r["algorithm"], f[17]);
    const nlohmann::json& oop = r["out_of_place"];
    EXPECT_EQ(oop["wrong"], 0);
    EXPECT_NEAR(oop["busbw"].get<double>() / oop["algbw"].get<double>(),
                BusFactor(r["collective"], kRanks), 1e-6)
        << r;
    // algbw = size / time.
    EXPECT_NEAR(oop["algbw"].get<double>(),
                r["size"].get<double>() / (oop["time_us"].get<double>() * 1e3),
                1e-4 * oop["algbw"].get<double>());
    EXPECT_LE(oop["p50_us"].get<double>(), oop["p99_us"].get<double>());
  }
  ASSERT_EQ(j["summaries"].size(), 9u);
  for (const nlohmann::json& s : j["summaries"]) EXPECT_EQ(s["out_of_bounds"], 0);
}

TEST_F(BenchTest, CsvHasTheSameRows) {
  ASSERT_EQ(result_->exit_code, 0) << result_->err;
  Table table = ParseTable(result_->out);
  std::vector<std::string> lines = absl::StrSplit(ReadFile(*csv_), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), table.rows.size() + 1);
  EXPECT_TRUE(absl::StartsWith(lines[0], "collective,size,count,type,redop,root,algorithm,"));
  for (size_t i = 0; i < table.rows.size(); ++i) {
    std::vector<std::string> c = absl::StrSplit(lines[i + 1], ',');
    ASSERT_EQ(c.size(), 20u) << lines[i + 1];
    const std::vector<std::string>& f = table.rows[i].fields;
    EXPECT_EQ(c[0], table.rows[i].collective);
    for (int k = 0; k < 5; ++k) EXPECT_EQ(c[k + 1], f[k]) << lines[i + 1];
    EXPECT_EQ(c[6], f[17]);
    EXPECT_EQ(c[12], "0");
    EXPECT_EQ(c[19], "") << "predicted_us needs --topology";
  }
}

TEST_F(BenchTest, PlotIsAnSvgWithLabelledAxesAndALegend) {
  ASSERT_EQ(result_->exit_code, 0) << result_->err;
  const std::string svg = ReadFile(*svg_);
  ASSERT_NE(svg.find("<svg"), std::string::npos);
  std::istringstream in(svg);
  boost::property_tree::ptree tree;
  ASSERT_NO_THROW(boost::property_tree::read_xml(in, tree));
  EXPECT_EQ(tree.count("svg"), 1u);
  EXPECT_NE(svg.find("message size (bytes, log scale)"), std::string::npos);
  EXPECT_NE(svg.find("bus bandwidth (GB/s)"), std::string::npos);
  EXPECT_NE(svg.find("id=\"legend\""), std::string::npos);
  for (const char* label : {"all_reduce float sum", "all_to_allv float", "permute float"}) {
    EXPECT_NE(svg.find(std::string(">") + label + "<"), std::string::npos) << label;
  }
}

TEST_F(BenchTest, ComparePrintsRatiosWithoutLaunching) {
  ASSERT_EQ(result_->exit_code, 0) << result_->err;
  SubprocessResult r = RunCli({ULTRACC_LAUNCHER, "bench", "--compare", *json_, *json_});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("B/A"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("# Geometric mean busbw ratio B/A : 1.000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("all_to_allv"), std::string::npos) << r.out;
}

TEST(BenchFlagsTest, EveryTypeAndOperatorChecksZeroWrong) {
  SubprocessResult r = RunCli({ULTRACC_LAUNCHER,
                               "bench",
                               "allr,redsct,reduce",
                               "-N",
                               "2",
                               "-C",
                               "2",
                               "-b",
                               "64",
                               "-e",
                               "256",
                               "-f",
                               "4",
                               "-n",
                               "1",
                               "-w",
                               "0",
                               "-c",
                               "1",
                               "-d",
                               "all",
                               "-o",
                               "all",
                               "-z",
                               "1"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  Table table = ParseTable(r.out);
  EXPECT_EQ(table.rows.size(), 3u * 2 * 12 * 5);
  for (const TableRow& row : table.rows) {
    EXPECT_EQ(row.fields[8], "0") << row.collective << " " << absl::StrJoin(row.fields, " ");
    EXPECT_EQ(row.fields[12], "0") << row.collective << " " << absl::StrJoin(row.fields, " ");
  }
}

TEST(BenchFlagsTest, BadFlagsExitNonZeroNamingTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"all_reduse"}, "unknown collective 'all_reduse'"},
      {{"allr", "-d", "float7"}, "-d: bad value 'float7'"},
      {{"allr", "-o", "mean"}, "-o: bad value 'mean'"},
      {{"allr", "-b", "1M", "-e", "1K"}, "-b 1048576 is larger than -e 1024"},
      {{"allr", "-b", "8X"}, "-b: bad value '8X'"},
      {{"allr", "-e", "1Q"}, "-e: bad value '1Q'"},
      {{"allr", "--no-such-flag"}, "unknown flag '--no-such-flag'"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {ULTRACC_LAUNCHER, "bench"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    SubprocessResult r = RunCli(argv, absl::Seconds(20));
    EXPECT_NE(r.exit_code, 0) << absl::StrJoin(c.args, " ");
    EXPECT_NE(r.err.find(c.message), std::string::npos)
        << absl::StrJoin(c.args, " ") << " printed: " << r.err;
    EXPECT_LT(r.elapsed, absl::Seconds(5)) << "nothing should be launched";
  }
}

TEST(BenchFlagsTest, TheReadmeAllReduceProgramStillRunsUnderLaunch) {
  SubprocessResult r = RunCli({ULTRACC_LAUNCHER, "launch", "--nodes", "2", "--chips-per-node", "2",
                               "--", ULTRACC_ALLREDUCE_PERF, "-b", "8", "-e", "1K", "-f", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("[0] # Out of bounds values : 0 OK"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[0]         1024           256     float     sum      -1"),
            std::string::npos)
      << r.out;
}

// The check's own arithmetic, in process: encodings of the narrow floats, integer wrap-around,
// the tolerance, and that a collective that did not run is counted wrong element by element.
TEST(BenchCheckTest, NarrowFloatEncodingsAndIntegerWrapAround) {
  using bench::FindType;
  unsigned char buffer[8] = {};
  const std::vector<std::pair<std::string, uint32_t>> ones = {
      {"half", 0x3c00}, {"bfloat16", 0x3f80}, {"f8e4m3", 0x38}, {"f8e5m2", 0x3c}};
  for (const auto& [name, bits] : ones) {
    const bench::TypeInfo& t = *FindType(name);
    bench::StoreElement(buffer, 0, t, 1.0);
    uint32_t stored = buffer[0] | (t.bytes == 2 ? buffer[1] << 8 : 0);
    EXPECT_EQ(stored, bits) << name;
  }
  bench::StoreElement(buffer, 0, *FindType("f8e4m3"), 448.0);
  EXPECT_EQ(buffer[0], 0x7e);
  for (const bench::TypeInfo& t : bench::AllTypes()) {
    for (double v : {0.0, 1.0, 2.0, 3.0, 5.0, 6.0, 0.75}) {
      if (!t.is_float && v != static_cast<int>(v)) continue;
      bench::StoreElement(buffer, 0, t, v);
      EXPECT_EQ(bench::LoadElement(buffer, 0, t), v) << t.name;
    }
  }
  EXPECT_EQ(bench::ReferenceReduce({16, 16}, ultraccProd, *FindType("int8")), 0);
  EXPECT_EQ(bench::ReferenceReduce({100, 100}, ultraccSum, *FindType("int8")), -56);
  EXPECT_EQ(bench::ReferenceReduce({3, 4}, ultraccAvg, *FindType("int32")), 3);
  EXPECT_EQ(bench::ReferenceReduce({3, 4}, ultraccAvg, *FindType("float")), 3.5);
  EXPECT_TRUE(bench::Matches(3.5, 3.5, {3, 4}, ultraccAvg, *FindType("f8e5m2")));
  EXPECT_FALSE(bench::Matches(4.5, 3.5, {3, 4}, ultraccAvg, *FindType("float")));
  EXPECT_FALSE(bench::Matches(-1, 0, {0, 0}, ultraccSum, *FindType("f8e5m2")));
}

TEST(BenchCheckTest, SizesFollowNcclTestsAndAnUnrunCollectiveIsCountedWrong) {
  const int n = 4;
  for (const std::string& collective : bench::AllCollectives()) {
    // Rank 0, root 0: the output a collective that never ran leaves behind (poison, or in place
    // the rank's own input) must count as wrong wherever it differs from the result.
    bench::CaseParams params{collective, bench::FindType("float"), ultraccSum, 0, 0, n};
    bench::CollectiveCase c(params, 4096);
    if (collective != "all_to_allv") {
      EXPECT_EQ(c.size_bytes(), 4096u) << collective;  // the whole array, whatever the split
    }
    EXPECT_DOUBLE_EQ(c.bus_factor(), BusFactor(collective, n)) << collective;
    std::vector<char> send(bench::CollectiveCase::BufferBytes(4096, *params.type, n));
    std::vector<char> recv(send.size());
    c.Prepare(send.data(), recv.data(), /*in_place=*/false);
    const long per_rank = static_cast<long>(c.count()) / n;
    const long expected = collective == "reduce_scatter" ? per_rank
                          : collective == "all_to_allv"  ? static_cast<long>(c.recv_elements())
                                                         : static_cast<long>(c.count());
    EXPECT_EQ(c.CountWrong(recv.data(), false), expected) << collective;
    if (collective == "all_gather") {  // in place, only the rank's own block is already right
      c.Prepare(send.data(), recv.data(), /*in_place=*/true);
      EXPECT_EQ(c.CountWrong(recv.data(), true), static_cast<long>(c.count()) - per_rank);
    }
  }
}

}  // namespace
}  // namespace ultracc
