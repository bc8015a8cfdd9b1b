// The --show-algorithm and predicted columns: which algorithm a row's collective runs between
// nodes, decided the way the node engine decides it (ResolveAlgorithm of
// collectives/algorithm_chooser.h: ULTRACC_ALGO where it applies, else the tuner when the engine
// has a topology, else the size rule), and the cost model's time for it. The node engine runs one
// member per node, so the rule and the tuner see the number of nodes, not of ranks.
//
// The only file of the benchmark that uses library internals (the rule and the tuner themselves,
// so that the columns cannot drift from what runs).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace ultracc::collectives {
class AlgorithmChooser;
namespace tuner {
class TopologyChooser;
}  // namespace tuner
}  // namespace ultracc::collectives

namespace ultracc::bench {

class AlgorithmColumn {
 public:
  // Reads ULTRACC_ALGO and the node count of a rank started by `ultracc launch` (world size over
  // ULTRACC_LOCAL_SIZE); `nranks` stands in when the launcher's variables are missing.
  explicit AlgorithmColumn(int nranks);
  // For `participants` members that each stand for a whole node of `chips_per_participant` chips
  // (engine-only mode).
  static AlgorithmColumn ForParticipants(int participants, int chips_per_participant);

  // "ring", "rhd", ... for `collective` (bench_options.h names) moving `rule_bytes` per chip;
  // "p2p" for send_recv and permute; "?" when the rule refuses.
  std::string For(const std::string& collective, size_t rule_bytes) const;

  int participants() const { return participants_; }

  // Adds the tuner of topology `spec` (a preset name or a file) for the participants as nodes
  // filling its UltraServers in order: its model gives the predicted column, and when
  // `engine_tunes` (the engines were given that topology) its choice is what For() names. False,
  // with `error` naming what does not fit, when the spec is bad or the job is larger than it.
  bool UseTopology(const std::string& spec, bool engine_tunes, std::string* error);
  // The model's time in microseconds for what For() names on that topology; < 0 without one, or
  // for point-to-point rows.
  double PredictedUs(const std::string& collective, size_t rule_bytes) const;

  // What the node engines should be given to choose as For() says: the tuner when UseTopology
  // was told they tune, else null (the size rule).
  std::shared_ptr<const collectives::AlgorithmChooser> EngineChooser() const;
  // Participants per UltraServer of the topology UseTopology was given (the hierarchical
  // all-reduce's groups); 1 without one.
  int GroupMembers() const { return group_members_; }

 private:
  std::shared_ptr<const collectives::tuner::TopologyChooser> tuner_;
  bool engine_tunes_ = false;
  int participants_ = 1;
  int chips_ = 1;   // chips each participant stands for
  int forced_ = 0;  // collectives::Algorithm, kept as int to keep the header free of internals
  int group_members_ = 1;
};

}  // namespace ultracc::bench
