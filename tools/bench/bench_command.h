// `ultracc bench COLLECTIVE [launch options] [bench flags]`: runs the benchmark program
// (ultracc_perf, found next to the ultracc binary) as the ranks of an emulated job, exactly as
// `ultracc launch` would, then draws --plot; or, with --compare A.json B.json, compares two saved
// runs without launching anything.
//
// With --virtual-chips it starts no job: the nodes' engines run as threads of this process
// (engine-only mode, virtual_cluster.h).
#pragma once

#include <string>
#include <vector>

#include "tools/launch/launcher.h"

namespace ultracc::bench {

struct BenchCommandOptions {
  launch::LaunchOptions launch;         // nodes, chips, transport, provider, rails
  std::vector<std::string> bench_args;  // COLLECTIVE and the bench flags, passed on
  std::string plot_path;                // --plot FILE.svg
  std::vector<std::string> compare;     // --compare A.json B.json
  std::string perf_binary;              // empty: ultracc_perf next to this executable
  bool virtual_chips = false;           // --virtual-chips: engine-only mode
  double emulate_links_gbps = 0;        // --emulate-links GBPS (with a topology)
  // With --topology SPEC (a bench flag), nodes and chips come from the spec unless given here;
  // --ultraservers K keeps K of its UltraServers.
  bool nodes_given = false;
  bool chips_given = false;
  int ultraservers = 0;
};

// Returns the exit code: the job's (as `ultracc launch`), 2 for bad flags, 1 for unreadable files.
int RunBenchCommand(BenchCommandOptions options);

}  // namespace ultracc::bench
