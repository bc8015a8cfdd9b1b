// A predicted time, split by what it is spent on, so a caller can tell a latency-bound choice from
// a bandwidth-bound one.
#pragma once

namespace ultracc::collectives::tuner {

struct Cost {
  double latency_s = 0;   // alpha: one hop per round (per message where rounds overlap)
  double transfer_s = 0;  // beta: bytes over links
  double local_s = 0;     // reductions and copies at memory bandwidth

  double total_s() const { return latency_s + transfer_s + local_s; }
  Cost& operator+=(const Cost& other) {
    latency_s += other.latency_s;
    transfer_s += other.transfer_s;
    local_s += other.local_s;
    return *this;
  }
};

}  // namespace ultracc::collectives::tuner
