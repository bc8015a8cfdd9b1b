// What every way of running the benchmark shares: the sizes of a sweep, percentiles of iteration
// times, and the progress line long sweeps print on stderr.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "tools/bench/bench_options.h"

namespace ultracc::bench {

// -b .. -e by -f (or -i), as nccl-tests steps them.
std::vector<size_t> SweepSizes(const BenchOptions& options);

// Rows the sweep prints: sizes x types x ops (for collectives with one) per collective.
size_t SweepRows(const BenchOptions& options, size_t num_sizes);

// The p-quantile (0..1) of `values`, nearest rank; `values` must not be empty.
double Percentile(std::vector<double> values, double p);

// How far a long sweep is, on stderr: whole lines (the launcher relays lines), at most one every
// few seconds and none before, so short sweeps stay quiet.
class ProgressLine {
 public:
  ProgressLine(bool enabled, size_t total) : enabled_(enabled), total_(total) {}
  void Update(size_t done, const std::string& last_row);

 private:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kEvery{2};
  const bool enabled_;
  const size_t total_;
  const Clock::time_point start_ = Clock::now();
  Clock::time_point last_ = start_;
  bool shown_ = false;
};

}  // namespace ultracc::bench
