// `ultracc launch`: runs a program as the ranks of an emulated multi-node job. Starts (or uses)
// one ultraccd per node, launches the ranks through them, relays their output with a rank prefix,
// stops the job when a rank fails or a signal arrives, and leaves nothing behind.
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace ultracc::launch {

struct LaunchOptions {
  int nodes = 1;
  int chips_per_node = 1;
  std::string transport = "auto";
  std::string ofi_provider;  // empty: ULTRACC_OFI_PROVIDER if set, else libfabric's default order
  int ofi_rails = 0;         // 0: ULTRACC_OFI_RAILS if set, else 1
  // A topology spec (a preset name or an absolute file path) every daemon and rank gets as
  // ULTRACC_TOPOLOGY, so the engines tune for it; empty: none. topology_shape.h sets it.
  std::string topology;
  // With a topology: GB/s per node of its fastest crossed level; every daemon holds the links
  // between nodes to the topology's ratios at that rate (ULTRACC_EMULATE_LINKS). 0: not shaped.
  double emulate_links_gbps = 0;
  std::vector<std::string> daemons;  // running daemons to use, by node; empty: start local ones
  std::string daemon_binary;         // empty: the ultraccd next to this executable
  std::string program;
  std::vector<std::string> args;
  absl::Duration grace = absl::Seconds(3);  // between SIGTERM and SIGKILL when stopping ranks
  absl::Duration job_timeout = absl::ZeroDuration();  // zero: no limit
  bool tag_output = true;
};

// Runs the job; returns the launcher's exit code: 0 when every rank exited 0, otherwise the exit
// code of the first rank that failed, 128+N after signal N, or 1 for a launch failure.
int RunLaunch(const LaunchOptions& options);

}  // namespace ultracc::launch
