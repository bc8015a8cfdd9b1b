// ultracc: the command-line front end. Subcommands: launch (run a program as an emulated
// multi-node job), bench (collective benchmarks in nccl-tests' layout over such a job), info
// (what this host offers and a launch would use), status (where a running job's ranks are),
// version.
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_split.h"
#include "tools/bench/bench_command.h"
#include "tools/bench/bench_options.h"
#include "tools/info/info_command.h"
#include "tools/launch/launcher.h"
#include "tools/launch/topology_shape.h"
#include "tools/status/status_command.h"
#include "tools/topo/topo_command.h"
#include "transport/factory/transport_kinds.h"

namespace {

constexpr char kTransportHelp[] =
    "between nodes: auto (shared memory between nodes on one host, tcp across hosts; default), "
    "tcp, ofi (libfabric) or shm (one host only)";
constexpr char kEmulateLinksHelp[] =
    "with --topology: hold the links between nodes to the topology's bandwidth and latency "
    "ratios, its fastest level given GBPS GB/s";

// --emulate-links, when given, must be a rate; false (after saying so) when it is not.
bool EmulatedRateIsValid(const char* command, const CLI::App& subcommand, double gbps) {
  if (subcommand.count("--emulate-links") == 0 || gbps > 0) return true;
  std::cerr << "ultracc " << command << ": --emulate-links " << gbps
            << " is not a rate in GB/s above 0\n";
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> transport_kinds(ultracc::transport::kTransportKinds.begin(),
                                                 ultracc::transport::kTransportKinds.end());
  CLI::App app{"ultracc: collective communication on an emulated Trainium-class cluster"};
  app.require_subcommand(1);

  ultracc::launch::LaunchOptions launch;
  std::string daemons;
  double grace_s = 3, timeout_s = 0;
  std::vector<std::string> command;
  CLI::App* launch_cmd = app.add_subcommand(
      "launch", "run PROGRAM as the ranks of an emulated job: ultracc launch [options] -- PROGRAM ARGS");
  launch_cmd->add_option("--nodes,-N", launch.nodes, "emulated nodes (one ultraccd each)")
      ->check(CLI::Range(1, 4096));
  launch_cmd->add_option("--chips-per-node,-C", launch.chips_per_node, "ranks per node")
      ->check(CLI::Range(1, 1024));
  launch_cmd->add_option("--transport", launch.transport, kTransportHelp)
      ->check(CLI::IsMember(transport_kinds));
  launch_cmd->add_option("--ofi-provider", launch.ofi_provider,
                         "libfabric provider for --transport ofi (efa, tcp, shm, sockets; default "
                         "ULTRACC_OFI_PROVIDER, else efa if present, else tcp, else sockets)");
  launch_cmd->add_option("--rails", launch.ofi_rails,
                         "ofi endpoints per node that large messages are striped over (default "
                         "ULTRACC_OFI_RAILS, else 1)")
      ->check(CLI::Range(1, 16));
  std::string launch_topology;
  int launch_ultraservers = 0;
  launch_cmd->add_option("--topology", launch_topology,
                         "place nodes and ranks from a topology (preset or spec file) and tune "
                         "the engines for it; --nodes, --chips-per-node and --ultraservers scale "
                         "it down");
  launch_cmd->add_option("--ultraservers", launch_ultraservers,
                         "with --topology: keep this many of its UltraServers")
      ->check(CLI::Range(1, 1 << 20));
  launch_cmd->add_option("--emulate-links", launch.emulate_links_gbps, kEmulateLinksHelp);
  launch_cmd->add_option("--daemons", daemons,
                         "use running daemons HOST:PORT,... (one per node; token from "
                         "ULTRACC_JOB_TOKEN) instead of starting local ones");
  launch_cmd->add_option("--daemon-binary", launch.daemon_binary, "ultraccd to start");
  launch_cmd->add_option("--grace", grace_s, "seconds between SIGTERM and SIGKILL when stopping");
  launch_cmd->add_option("--timeout", timeout_s, "stop the job after this many seconds (0: never)");
  launch_cmd->add_flag("!--no-tag-output", launch.tag_output, "do not prefix lines with the rank");
  launch_cmd->add_option("command", command, "PROGRAM ARGS...")->required();
  launch_cmd->positionals_at_end();

  ultracc::info::InfoOptions info;
  CLI::App* info_cmd = app.add_subcommand(
      "info", "libfabric, its providers, and the transports, layout and algorithms a launch uses");
  info_cmd->alias("doctor");
  info_cmd->add_option("--nodes,-N", info.nodes, "emulated nodes")->check(CLI::Range(1, 4096));
  info_cmd->add_option("--chips-per-node,-C", info.chips_per_node, "ranks per node")
      ->check(CLI::Range(1, 1024));
  info_cmd->add_option("--transport", info.transport, kTransportHelp)
      ->check(CLI::IsMember(transport_kinds));
  info_cmd->add_option("--ofi-provider", info.ofi_provider, "libfabric provider to check");
  info_cmd->add_option("--rails", info.ofi_rails, "ofi rails")->check(CLI::Range(1, 16));

  ultracc::bench::BenchCommandOptions bench;
  CLI::App* bench_cmd = app.add_subcommand(
      "bench",
      "benchmark collectives over an emulated job, in nccl-tests' layout: ultracc bench "
      "COLLECTIVE|all [launch options] [-b -e -f -i -n -w -c -d -o -r -a -z -T] [--json F] "
      "[--csv F] [--show-algorithm] [--plot F.svg]; or ultracc bench --compare A.json B.json");
  bench_cmd->add_option("--nodes,-N", bench.launch.nodes, "emulated nodes (one ultraccd each)")
      ->check(CLI::Range(1, 4096));
  bench_cmd->add_option("--chips-per-node,-C", bench.launch.chips_per_node, "ranks per node")
      ->check(CLI::Range(1, 1024));
  bench_cmd->add_option("--transport", bench.launch.transport, kTransportHelp)
      ->check(CLI::IsMember(transport_kinds));
  bench_cmd->add_option("--ofi-provider", bench.launch.ofi_provider,
                        "libfabric provider for --transport ofi");
  bench_cmd->add_option("--rails", bench.launch.ofi_rails, "ofi rails per node")
      ->check(CLI::Range(1, 16));
  bench_cmd->add_option("--ultraservers", bench.ultraservers,
                        "with --topology: keep this many of its UltraServers")
      ->check(CLI::Range(1, 1 << 20));
  bench_cmd->add_option("--emulate-links", bench.emulate_links_gbps, kEmulateLinksHelp);
  bench_cmd->add_flag("--virtual-chips", bench.virtual_chips,
                      "engine-only: the nodes' engines host their chips themselves, as threads of "
                      "this process meeting through memory; no daemons or rank processes");
  bench_cmd->add_option("--plot", bench.plot_path,
                        "write an SVG of bus bandwidth against message size");
  bench_cmd->add_option("--compare", bench.compare,
                        "print two --json runs side by side with ratios (no launch)")
      ->expected(2);
  // COLLECTIVE and nccl-tests' flags go to the benchmark program, which parses them.
  bench_cmd->allow_extras();
  bench_cmd->footer(ultracc::bench::BenchUsage());

  ultracc::topo::AddTopoCommand(app);
  ultracc::status::StatusCommand status(app);

  app.add_subcommand("version", "print the version")->callback([] {
    std::cout << "ultracc 0.1.0\n";
  });

  CLI11_PARSE(app, argc, argv);
  if (info_cmd->parsed()) return ultracc::info::RunInfo(info);
  if (status.parsed()) return status.Run();
  if (bench_cmd->parsed()) {
    if (bench.virtual_chips && (bench_cmd->count("--transport") > 0 ||
                                bench_cmd->count("--ofi-provider") > 0 ||
                                bench_cmd->count("--rails") > 0)) {
      std::cerr << "ultracc bench: --virtual-chips runs every node in this process, meeting "
                   "through memory; --transport, --ofi-provider and --rails do not apply\n";
      return 2;
    }
    if (!EmulatedRateIsValid("bench", *bench_cmd, bench.emulate_links_gbps)) return 2;
    bench.bench_args = bench_cmd->remaining();
    bench.nodes_given = bench_cmd->count("--nodes") > 0;
    bench.chips_given = bench_cmd->count("--chips-per-node") > 0;
    return ultracc::bench::RunBenchCommand(bench);
  }
  if (launch_cmd->parsed()) {
    if (!launch_topology.empty()) {
      const ultracc::launch::ShapeFlags flags{
          .nodes_given = launch_cmd->count("--nodes") > 0,
          .chips_given = launch_cmd->count("--chips-per-node") > 0,
          .ultraservers = launch_ultraservers};
      if (absl::Status s = ultracc::launch::ShapeFromTopology(launch_topology, flags, &launch);
          !s.ok()) {
        std::cerr << "ultracc launch: " << s.message() << "\n";
        return 2;
      }
    } else if (launch_ultraservers > 0) {
      std::cerr << "ultracc launch: --ultraservers needs --topology SPEC\n";
      return 2;
    }
    if (!EmulatedRateIsValid("launch", *launch_cmd, launch.emulate_links_gbps)) return 2;
    if (launch.emulate_links_gbps > 0 && launch_topology.empty()) {
      std::cerr << "ultracc launch: --emulate-links needs --topology SPEC (whose links it keeps)\n";
      return 2;
    }
    if (!daemons.empty()) {
      launch.daemons = absl::StrSplit(daemons, ',', absl::SkipEmpty());
      if (static_cast<int>(launch.daemons.size()) != launch.nodes) {
        std::cerr << "ultracc launch: --daemons lists " << launch.daemons.size()
                  << " daemons for --nodes " << launch.nodes << "\n";
        return 2;
      }
    }
    launch.program = command[0];
    launch.args.assign(command.begin() + 1, command.end());
    launch.grace = absl::Seconds(grace_s);
    launch.job_timeout = absl::Seconds(timeout_s);
    return ultracc::launch::RunLaunch(launch);
  }
  return 0;
}
