// Measuring this host for the `host` preset.
#include "runtime/topology/host_topology.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <thread>

#include "absl/strings/str_format.h"

namespace ultracc::topology {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Larger than the last-level caches of common hosts, small enough to time in ~10 ms a copy.
constexpr size_t kCopyBytes = size_t{64} << 20;

double MeasureCopyGbPerS() {
  std::unique_ptr<char[]> from(new char[kCopyBytes]);
  std::unique_ptr<char[]> to(new char[kCopyBytes]);
  std::memset(from.get(), 1, kCopyBytes);  // fault the pages in before timing
  std::memset(to.get(), 2, kCopyBytes);
  double best = 0;
  for (int i = 0; i < 3; ++i) {
    const Clock::time_point start = Clock::now();
    std::memcpy(to.get(), from.get(), kCopyBytes);
    const double seconds = Seconds(Clock::now() - start);
    if (seconds > 0) best = std::max(best, kCopyBytes / seconds / 1e9);
  }
  // Keeps the compiler from dropping the copies.
  if (to[kCopyBytes - 1] != 1) return 0;
  return best;
}

// Half the round trip of a byte bounced between two threads through two pipes: the cost of
// waking a peer that waits in the kernel, as ranks and daemons do.
double MeasureHandoffUs() {
  int ping[2], pong[2];
  if (pipe(ping) != 0) return 0;
  if (pipe(pong) != 0) {
    close(ping[0]);
    close(ping[1]);
    return 0;
  }
  constexpr int kRoundTrips = 200;
  std::thread echo([&] {
    char byte;
    for (int i = 0; i < kRoundTrips; ++i) {
      if (read(ping[0], &byte, 1) != 1 || write(pong[1], &byte, 1) != 1) break;
    }
  });
  char byte = 0;
  int done = 0;
  const Clock::time_point start = Clock::now();
  for (; done < kRoundTrips; ++done) {
    if (write(ping[1], &byte, 1) != 1 || read(pong[0], &byte, 1) != 1) break;
  }
  const double seconds = Seconds(Clock::now() - start);
  close(ping[1]);  // ends the echo thread if a step failed
  echo.join();
  close(ping[0]);
  close(pong[0]);
  close(pong[1]);
  return done == 0 ? 0 : seconds / done / 2 * 1e6;
}

}  // namespace

HostFacts MeasureHost() {
  HostFacts facts;
  char name[256] = {};
  facts.hostname = gethostname(name, sizeof(name) - 1) == 0 ? name : "localhost";
  facts.processors = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
  const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page_size > 0) {
    facts.memory_gib = static_cast<double>(pages) * page_size / (1 << 30);
  }
  facts.copy_gb_per_s = MeasureCopyGbPerS();
  facts.handoff_latency_us = MeasureHandoffUs();
  return facts;
}

proto::TopologySpec HostTopologySpec(const HostFacts& facts) {
  // Rounded, since more digits would only be noise; a measurement that failed (zero) must still
  // give a valid spec, hence the floor.
  const double copy = std::max(std::round(facts.copy_gb_per_s * 10) / 10, 0.1);
  const double latency_us = std::max(std::round(facts.handoff_latency_us * 100) / 100, 0.0);
  const int processors = std::max(facts.processors, 1);
  const std::string hostname = facts.hostname.empty() ? "localhost" : facts.hostname;
  proto::TopologySpec spec;
  spec.set_name("host");
  spec.set_description(absl::StrFormat(
      "this host (%s): %d processors as the chips of one node, linked through shared memory",
      hostname, processors));
  spec.mutable_chip()->set_name("processor");
  spec.mutable_chip()->set_memory_gib(std::round(facts.memory_gib / processors * 100) / 100);
  spec.mutable_chip()->set_memory_bandwidth_gb_per_s(2 * copy);
  spec.set_chips_per_node(processors);
  spec.set_nodes_per_ultraserver(1);
  spec.set_ultraservers(1);
  proto::LevelSpec* node = spec.mutable_node();
  node->set_link("shared memory");
  node->set_shape(proto::LevelSpec::SHARED_MEMORY);
  node->set_bandwidth_gb_per_s(copy);
  node->set_latency_us(latency_us);
  proto::HostSpec* host = spec.add_hosts();
  host->set_host(hostname);
  host->add_nodes(0);
  return spec;
}

}  // namespace ultracc::topology
