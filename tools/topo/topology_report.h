// What `ultracc topo show` prints: a topology as a tree from the cluster down to the chips, with
// each level's members, links, per-chip bandwidth and latency, its aggregate and bisection
// bandwidth, the chip count, and the hosts.
#pragma once

#include <string>

#include "runtime/topology/topology.h"

namespace ultracc::topo {

std::string DescribeTopology(const topology::Topology& topology);

// "25 GB/s", "2 TB/s", "288 TB/s", "25 PB/s": four significant digits at most.
std::string FormatBandwidth(double gb_per_s);

}  // namespace ultracc::topo
