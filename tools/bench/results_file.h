// Reading back the JSON files the benchmark writes (--json), for `ultracc bench --plot` and
// `--compare`.
#pragma once

#include <string>
#include <vector>

#include "tools/bench/bench_report.h"

namespace ultracc::bench {

struct RunResults {
  std::string label;  // what plots and comparisons call the run (the file name)
  int nranks = 0;
  int nodes = 0;
  std::vector<ResultRow> rows;
};

// false with `error` naming the file and what is wrong with it.
bool LoadResults(const std::string& path, RunResults* run, std::string* error);

}  // namespace ultracc::bench
