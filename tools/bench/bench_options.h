// The benchmark's flags, as nccl-tests spells them (-b -e -f -i -n -w -c -d -o -r -a -z -T) plus
// our own (--json, --csv, --show-algorithm, --progress), and the collectives it can run under their
// nccl-tests and Neuron nccom-test names. Parsed the same way by the benchmark program and by
// `ultracc bench`, which checks them before starting a job.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ultracc::bench {

struct BenchOptions {
  std::vector<std::string> collectives;        // canonical names, in run order
  size_t min_bytes = 8;                        // -b
  size_t max_bytes = size_t{64} << 20;         // -e
  double step_factor = 2;                      // -f (used when step_bytes is 0)
  size_t step_bytes = 0;                       // -i
  int iters = 20;                              // -n
  int warmup = 5;                              // -w
  int check = 0;                               // -c: check iterations (0: #wrong is N/A)
  bool check_given = false;                    // -c appeared
  std::vector<std::string> types = {"float"};  // -d
  std::vector<std::string> ops = {"sum"};      // -o
  int root = 0;                                // -r
  int average = 1;                             // -a: 0 rank 0, 1 mean, 2 min, 3 max across ranks
  int blocking = 0;      // -z: 1 = NULL stream (each call blocks), 0 = on a stream
  double timeout_s = 0;  // -T: abort the run after this long (0: never)
  std::string json_path;
  std::string csv_path;
  std::string topology;  // --topology SPEC: adds the cost model's `predicted` column
  bool show_algorithm = false;
  bool progress = false;
};

// Every collective, canonical names in nccl-tests order.
const std::vector<std::string>& AllCollectives();
// The canonical name of `name` (itself, an nccom-test alias such as "allr", or a spelling without
// underscores); empty when unknown.
std::string CanonicalCollective(const std::string& name);
// Whether the collective takes a reduction operator / a root.
bool HasRedOp(const std::string& collective);
bool HasRoot(const std::string& collective);

// "8", "64K", "1M", "2G" (powers of 1024, either case) to bytes; false on anything else.
bool ParseSize(const std::string& text, size_t* bytes);

// Parses `args` (no program name). Positional words name collectives ("all" for every one; none
// means all_reduce). On error returns false with `error` naming the flag and the bad value.
bool ParseBenchArgs(const std::vector<std::string>& args, BenchOptions* options,
                    std::string* error);

// The usage text of the bench flags.
std::string BenchUsage();

}  // namespace ultracc::bench
