// What the benchmark prints and saves: the nccl-tests table (plus p50/p99 and, on request, the
// algorithm), its footer, and the same rows as JSON and CSV for `ultracc bench --plot/--compare`.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

namespace ultracc::bench {

struct PlacementResult {
  double time_us = 0;  // mean per iteration, aggregated over ranks by -a
  double algbw = 0;    // GB/s (10^9 bytes)
  double busbw = 0;
  double p50_us = 0;
  double p99_us = 0;
  long wrong = -1;  // -1: not checked (N/A)
};

struct ResultRow {
  std::string collective;
  size_t size = 0;
  size_t count = 0;
  std::string type;
  std::string redop;  // "none" for collectives without one
  int root = -1;
  std::string algorithm;  // empty unless --show-algorithm
  double predicted_us = -1;  // the cost model's time on the emulated topology; < 0: none
  PlacementResult out_of_place;
  bool has_in_place = false;
  PlacementResult in_place;
};

struct CollectiveSummary {
  std::string collective;
  long out_of_bounds = 0;
  double avg_busbw = 0;
};

// Run-wide facts written at the top of JSON files.
struct RunInfo {
  int nranks = 0;
  int nodes = 0;
  int iters = 0;
  int warmup = 0;
  int check = 0;
  int blocking = 0;
  int average = 0;
};

class TableWriter {
 public:
  TableWriter(FILE* out, bool show_algorithm, bool show_predicted = false)
      : out_(out), show_algorithm_(show_algorithm), show_predicted_(show_predicted) {}
  void Header(const std::string& collective) const;
  void Row(const ResultRow& row) const;
  void Footer(const CollectiveSummary& summary) const;

 private:
  FILE* out_;
  bool show_algorithm_;
  bool show_predicted_;
};

// The summary of `rows` of one collective: summed #wrong, mean busbw over every placement run.
CollectiveSummary Summarize(const std::string& collective, const std::vector<ResultRow>& rows);

// false with `error` set when the file cannot be written.
bool WriteJson(const std::string& path, const RunInfo& info, const std::vector<ResultRow>& rows,
               const std::vector<CollectiveSummary>& summaries, std::string* error);
bool WriteCsv(const std::string& path, const std::vector<ResultRow>& rows, std::string* error);

}  // namespace ultracc::bench
