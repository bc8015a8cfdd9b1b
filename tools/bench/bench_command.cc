// `ultracc bench`; see bench_command.h.
#include "tools/bench/bench_command.h"

#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include "runtime/engine/link_emulation.h"
#include "runtime/topology/topology_source.h"
#include "tools/bench/bench_options.h"
#include "tools/bench/busbw_plot.h"
#include "tools/bench/results_file.h"
#include "tools/bench/run_comparison.h"
#include "tools/bench/virtual_cluster.h"
#include "tools/launch/topology_shape.h"

namespace ultracc::bench {
namespace {

std::string ProgramNextToSelf(const std::string& name) {
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return name;
  std::string self(path, static_cast<size_t>(n));
  return self.substr(0, self.rfind('/') + 1) + name;
}

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "ultracc bench: %s\n", message.c_str());
  return code;
}

int Compare(const BenchCommandOptions& options) {
  std::vector<RunResults> runs(2);
  std::string error;
  for (size_t i = 0; i < 2; ++i) {
    if (!LoadResults(options.compare[i], &runs[i], &error)) return Fail(1, "--compare: " + error);
  }
  PrintComparison(stdout, runs[0], runs[1]);
  if (!options.plot_path.empty()) {
    if (!WriteBusBandwidthPlot(options.plot_path, runs, &error)) return Fail(1, "--plot: " + error);
    std::printf("# Plot written to %s\n", options.plot_path.c_str());
  }
  return 0;
}

}  // namespace

int RunBenchCommand(BenchCommandOptions options) {
  if (!options.compare.empty()) {
    if (options.compare.size() != 2) return Fail(2, "--compare takes two files: A.json B.json");
    return Compare(options);
  }
  BenchOptions bench;
  std::string error;
  if (!ParseBenchArgs(options.bench_args, &bench, &error)) return Fail(2, error);
  if (!bench.topology.empty()) {
    const launch::ShapeFlags flags{.nodes_given = options.nodes_given,
                                   .chips_given = options.chips_given,
                                   .ultraservers = options.ultraservers,
                                   .engine_only = options.virtual_chips,
                                   .offer_virtual_chips = true};
    if (absl::Status s = launch::ShapeFromTopology(bench.topology, flags, &options.launch);
        !s.ok()) {
      return Fail(2, std::string(s.message()));
    }
  } else if (options.ultraservers > 0) {
    return Fail(2, "--ultraservers needs --topology SPEC");
  }
  if (options.emulate_links_gbps > 0 && bench.topology.empty()) {
    return Fail(2, "--emulate-links needs --topology SPEC (whose links it keeps)");
  }

  // Ranks may run in another directory: hand them absolute paths.
  std::vector<std::string>& args = options.bench_args;
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--json" || args[i] == "--csv") {
      args[i + 1] = std::filesystem::absolute(args[i + 1]).string();
    }
  }
  std::string json_path =
      bench.json_path.empty() ? "" : std::filesystem::absolute(bench.json_path).string();
  std::string temporary_json;
  if (!options.plot_path.empty() && json_path.empty()) {
    char name[] = "/tmp/ultracc-bench-XXXXXX.json";
    int fd = mkstemps(name, 5);
    if (fd < 0) return Fail(1, "--plot: cannot create a temporary results file");
    close(fd);
    temporary_json = json_path = name;
    args.push_back("--json");
    args.push_back(name);
  }
  int code = 0;
  if (options.virtual_chips) {
    VirtualClusterOptions cluster{options.launch.nodes, options.launch.chips_per_node, bench,
                                  options.emulate_links_gbps};
    cluster.bench.json_path = json_path;
    // Checked unless -c says otherwise, as nccl-tests: nothing else looks at a virtual chip's data.
    if (!bench.check_given) cluster.bench.check = 1;
    if (bench.timeout_s > 0) {
      signal(SIGALRM, [](int) {
        static const char kMessage[] = "ultracc bench: -T timeout reached, aborting\n";
        ssize_t ignored = write(2, kMessage, sizeof(kMessage) - 1);
        (void)ignored;
        _exit(124);
      });
      alarm(static_cast<unsigned>(std::max(1.0, bench.timeout_s)));
    }
    code = RunVirtualBench(cluster);
  } else {
    // The launcher relays whole lines, so a terminal gets the line form of the progress report.
    if (isatty(2) && !bench.progress) args.push_back("--progress");
    options.launch.program =
        options.perf_binary.empty() ? ProgramNextToSelf("ultracc_perf") : options.perf_binary;
    options.launch.args = args;
    options.launch.tag_output = false;
    if (options.emulate_links_gbps > 0) {
      // The daemons shape their links; the plan is printed here, as engine-only mode does.
      absl::StatusOr<topology::Topology> topo = topology::LoadTopology(bench.topology);
      if (!topo.ok()) return Fail(2, std::string(topo.status().message()));
      absl::StatusOr<std::optional<engine::LinkEmulation>> plan = engine::PlanLinkEmulation(
          *topo, options.launch.nodes, options.launch.chips_per_node, options.emulate_links_gbps);
      if (!plan.ok()) return Fail(2, std::string(plan.status().message()));
      if (plan->has_value()) std::printf("# %s\n", (*plan)->Describe(bench.topology).c_str());
      std::fflush(stdout);
      options.launch.emulate_links_gbps = options.emulate_links_gbps;
    }
    if (bench.timeout_s > 0) options.launch.job_timeout = absl::Seconds(bench.timeout_s + 30);
    code = launch::RunLaunch(options.launch);
  }

  if (!options.plot_path.empty()) {
    std::vector<RunResults> runs(1);
    if (!LoadResults(json_path, &runs[0], &error)) {
      code = code != 0 ? code : Fail(1, "--plot: " + error);
    } else if (!WriteBusBandwidthPlot(options.plot_path, runs, &error)) {
      code = code != 0 ? code : Fail(1, "--plot: " + error);
    } else {
      std::printf("# Plot written to %s\n", options.plot_path.c_str());
    }
  }
  if (!temporary_json.empty()) std::remove(temporary_json.c_str());
  return code;
}

}  // namespace ultracc::bench
