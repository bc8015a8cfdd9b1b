// The `host` preset: this machine as one node whose chips are its processors, linked through
// shared memory. Its figures are read from the system and measured in a few tens of milliseconds.
#pragma once

#include <string>

#include "topology.pb.h"

namespace ultracc::topology {

struct HostFacts {
  std::string hostname;
  int processors = 1;             // online processors
  double memory_gib = 0;          // physical memory
  double copy_gb_per_s = 0;       // one thread's memcpy rate: bytes copied per second
  double handoff_latency_us = 0;  // one thread waking another through a pipe, one way
};

// Reads the processor count and memory size, and times a memcpy of a buffer larger than the caches
// and a pipe ping-pong between two threads.
HostFacts MeasureHost();

// One node of `processors` chips under one UltraServer: each chip gets an equal share of memory, a
// memory bandwidth of twice the copy rate (a copy reads and writes every byte), and node links at
// the copy rate with the hand-off latency.
proto::TopologySpec HostTopologySpec(const HostFacts& facts);

}  // namespace ultracc::topology
