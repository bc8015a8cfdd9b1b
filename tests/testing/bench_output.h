// What tests of `ultracc bench` share: running the CLI with a deadline and the variables that would
// change its choices unset, and reading the nccl-tests table it prints.
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/testing/subprocess.h"

namespace ultracc::testing {

// Runs `argv` with ULTRACC_ALGO, ULTRACC_TRANSPORT, the ofi settings and the job token unset;
// adds a test failure (and returns an empty result) when it cannot start or outlives `timeout`.
SubprocessResult RunCli(std::vector<std::string> argv, absl::Duration timeout = absl::Seconds(60));

// nccl-tests' busbw / algbw for `collective` over n ranks (its PERFORMANCE.md).
double BusFactor(const std::string& collective, int n);

// What a row of `collective` must show, written out here rather than taken from the benchmark:
// a reduction operator, a root, figures in the in-place columns.
bool Reduces(const std::string& collective);
bool Rooted(const std::string& collective);
bool HasInPlace(const std::string& collective);

struct TableRow {
  std::string collective;
  std::vector<std::string> fields;
};

// Rows under each "# Collective test starting: X" header, and the footers.
struct Table {
  std::vector<TableRow> rows;
  std::vector<std::string> footers;
};

Table ParseTable(const std::string& out);

}  // namespace ultracc::testing
