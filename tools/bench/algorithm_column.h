// The --show-algorithm column: which algorithm the default rule of collectives/algorithm.h picks
// for a row, with ULTRACC_ALGO applied the way the engine applies it. In daemon mode the node
// engine runs one member per node, so the rule sees the number of nodes, not of ranks.
//
// The only file of the benchmark that uses a library internal (the rule itself, so that the
// column cannot drift from what runs). When the topology-aware tuner replaces the size rule, this
// is the one place to ask it instead, together with its predicted time for the `predicted` column.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace ultracc::bench {

class AlgorithmColumn {
 public:
  // Reads ULTRACC_ALGO and the node count of a rank started by `ultracc launch` (world size over
  // ULTRACC_LOCAL_SIZE); `nranks` stands in when the launcher's variables are missing.
  explicit AlgorithmColumn(int nranks);
  // For `participants` members that each stand for a whole node (engine-only mode).
  static AlgorithmColumn ForParticipants(int participants);

  // "ring", "rhd", ... for `collective` (bench_options.h names) moving `rule_bytes` per member;
  // "p2p" for send_recv and permute; "?" when the rule refuses.
  std::string For(const std::string& collective, size_t rule_bytes) const;

  int participants() const { return participants_; }

  // Adds the cost model (collectives/tuner) of topology `spec` (a preset name or a file) for
  // `ranks_per_node` chips on each of `nodes` nodes, which fill whole UltraServers in order. False,
  // with `error` naming what does not fit, when the spec is bad or the job is larger than it.
  bool UseTopology(const std::string& spec, int ranks_per_node, int nodes, std::string* error);
  // The model's time in microseconds for what For() names on that topology; < 0 without one, or
  // for point-to-point rows.
  double PredictedUs(const std::string& collective, size_t rule_bytes) const;

 private:
  struct Model;
  std::shared_ptr<const Model> model_;
  int participants_ = 1;
  int forced_ = 0;  // collectives::Algorithm, kept as int to keep the header free of internals
};

}  // namespace ultracc::bench
