// Sweep sizes, percentiles and the progress line; see sweep.h.
#include "tools/bench/sweep.h"

#include <algorithm>
#include <cstdio>

namespace ultracc::bench {

std::vector<size_t> SweepSizes(const BenchOptions& o) {
  std::vector<size_t> sizes;
  for (size_t b = o.min_bytes; b <= o.max_bytes;) {
    sizes.push_back(b);
    size_t next = o.step_bytes > 0 ? b + o.step_bytes
                                   : static_cast<size_t>(static_cast<double>(b) * o.step_factor);
    if (next <= b) next = b + 1;
    b = next;
  }
  return sizes;
}

size_t SweepRows(const BenchOptions& o, size_t num_sizes) {
  size_t rows = 0;
  for (const std::string& c : o.collectives) {
    rows += num_sizes * o.types.size() * (HasRedOp(c) ? o.ops.size() : 1);
  }
  return rows;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

void ProgressLine::Update(size_t done, const std::string& last_row) {
  if (!enabled_) return;
  const Clock::time_point now = Clock::now();
  if (now - last_ < kEvery && (done < total_ || !shown_)) return;
  std::fprintf(stderr, "# progress: %zu/%zu rows after %.0f s, last %s\n", done, total_,
               std::chrono::duration<double>(now - start_).count(), last_row.c_str());
  std::fflush(stderr);
  shown_ = true;
  last_ = now;
}

}  // namespace ultracc::bench
