// Engine-only mode (`ultracc bench --virtual-chips`): the benchmark with no rank processes. Each
// emulated node is the node engine ultraccd runs (collectives/node_engine.h), hosting its chips'
// buffers itself; the engines are threads of one process and meet through memory, so one host can
// sweep a 144-chip UltraServer or larger. The engine's own algorithms, workspace and checks run as
// in a daemon; what is left out is only the ranks' side (C API, submission rings, arenas).
//
// Output, checks and files are those of ultracc_perf: the nccl-tests table, -c counting wrong
// elements of every chip against the same reference, --json/--csv.
#pragma once

#include "tools/bench/bench_options.h"

namespace ultracc::bench {

struct VirtualClusterOptions {
  int nodes = 1;
  int chips_per_node = 1;
  BenchOptions bench;
  // > 0 (with bench.topology): links between nodes keep the topology's levels' bandwidth and
  // latency ratios, the fastest level given this many GB/s per node (transport/shaping).
  double emulate_links_gbps = 0;
};

// Runs the sweep, printing the table on stdout. Returns 0, 1 when an element was wrong, an
// operation failed or a file could not be written, 2 for options the mode cannot run.
int RunVirtualBench(const VirtualClusterOptions& options);

}  // namespace ultracc::bench
