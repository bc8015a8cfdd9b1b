// Side-by-side comparison of two benchmark runs; see run_comparison.h.
#include "tools/bench/run_comparison.h"

#include <cmath>
#include <map>
#include <string>
#include <tuple>

namespace ultracc::bench {
namespace {

using Key = std::tuple<std::string, std::string, std::string, size_t>;

Key KeyOf(const ResultRow& r) { return {r.collective, r.type, r.redop, r.size}; }

// nccl-tests' headline figure of a row: in place where there is one.
const PlacementResult& Headline(const ResultRow& r) {
  return r.has_in_place ? r.in_place : r.out_of_place;
}

std::string Ratio(double b, double a) {
  if (a <= 0) return "N/A";
  char text[32];
  std::snprintf(text, sizeof(text), "%.3f", b / a);
  return text;
}

}  // namespace

void PrintComparison(FILE* out, const RunResults& a, const RunResults& b) {
  std::fprintf(out, "# A: %s (%d ranks, %d nodes)\n# B: %s (%d ranks, %d nodes)\n", a.label.c_str(),
               a.nranks, a.nodes, b.label.c_str(), b.nranks, b.nodes);
  std::fprintf(out, "# %-14s  %8s  %6s  %12s  %9s  %9s  %7s  %9s  %9s  %7s\n", "collective", "type",
               "redop", "size(B)", "A busbw", "B busbw", "B/A", "A time", "B time", "B/A");
  std::fprintf(out, "# %-14s  %8s  %6s  %12s  %9s  %9s  %7s  %9s  %9s  %7s\n", "", "", "", "",
               "(GB/s)", "(GB/s)", "", "(us)", "(us)", "");
  std::map<Key, const ResultRow*> in_b;
  for (const ResultRow& r : b.rows) in_b[KeyOf(r)] = &r;
  double log_bw = 0, log_time = 0;
  int bw_pairs = 0, time_pairs = 0, only_a = 0;
  for (const ResultRow& ra : a.rows) {
    auto it = in_b.find(KeyOf(ra));
    if (it == in_b.end()) {
      ++only_a;
      continue;
    }
    const PlacementResult& pa = Headline(ra);
    const PlacementResult& pb = Headline(*it->second);
    std::fprintf(out, "  %-14s  %8s  %6s  %12zu  %9.3f  %9.3f  %7s  %9.2f  %9.2f  %7s\n",
                 ra.collective.c_str(), ra.type.c_str(), ra.redop.c_str(), ra.size, pa.busbw,
                 pb.busbw, Ratio(pb.busbw, pa.busbw).c_str(), pa.time_us, pb.time_us,
                 Ratio(pb.time_us, pa.time_us).c_str());
    if (pa.busbw > 0 && pb.busbw > 0) {
      log_bw += std::log(pb.busbw / pa.busbw);
      ++bw_pairs;
    }
    if (pa.time_us > 0 && pb.time_us > 0) {
      log_time += std::log(pb.time_us / pa.time_us);
      ++time_pairs;
    }
    in_b.erase(it);
  }
  if (only_a > 0 || !in_b.empty()) {
    std::fprintf(out, "# rows only in A: %d, only in B: %zu (not compared)\n", only_a, in_b.size());
  }
  std::fprintf(out, "# Geometric mean busbw ratio B/A : %s\n",
               bw_pairs ? Ratio(std::exp(log_bw / bw_pairs), 1).c_str() : "N/A");
  std::fprintf(out, "# Geometric mean time ratio B/A  : %s\n",
               time_pairs ? Ratio(std::exp(log_time / time_pairs), 1).c_str() : "N/A");
}

}  // namespace ultracc::bench
