// `ultracc info`: what this host offers and what a launch would use — the libfabric library and
// its providers, the ofi provider a job would pick, and the transports, layout and algorithms of
// a launch with the given options.
#pragma once

#include <string>

namespace ultracc::info {

struct InfoOptions {
  int nodes = 2;
  int chips_per_node = 4;
  std::string transport = "auto";
  std::string ofi_provider;  // empty: ULTRACC_OFI_PROVIDER, else the default order
  int ofi_rails = 0;         // 0: ULTRACC_OFI_RAILS, else 1
};

// Prints the report to stdout; returns 0, or 1 when the chosen transport cannot be used here
// (the report says why).
int RunInfo(const InfoOptions& options);

}  // namespace ultracc::info
