// `ultracc bench --compare A.json B.json`: two runs side by side, row by row (collective, type,
// operator, size), with B/A ratios of bus bandwidth and time, and their geometric means.
#pragma once

#include <cstdio>

#include "tools/bench/results_file.h"

namespace ultracc::bench {

void PrintComparison(FILE* out, const RunResults& a, const RunResults& b);

}  // namespace ultracc::bench
