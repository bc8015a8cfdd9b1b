// `ultracc bench --plot FILE.svg`: bus bandwidth against message size (log scale), one line per
// run, collective, type and operator, with labelled axes and a legend. Plain SVG written here, so
// the plot needs no plotting library and opens in any browser.
#pragma once

#include <string>
#include <vector>

#include "tools/bench/results_file.h"

namespace ultracc::bench {

// false with `error` set when the file cannot be written or there is nothing to plot.
bool WriteBusBandwidthPlot(const std::string& path, const std::vector<RunResults>& runs,
                           std::string* error);

}  // namespace ultracc::bench
