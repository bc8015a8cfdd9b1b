// What a NodeEngine asks when a collective runs with kAuto: which algorithm runs it between the
// engine's members. The size rule of algorithm.h answers when no chooser is given; the tuner
// (collectives/tuner/topology_chooser.h) answers from a topology's cost model.
//
// Every member of a collective must run the same algorithm, so a chooser must give the same answer
// on every member for the same arguments (it may depend on the arguments and on settings shared by
// the whole job, never on which member asks or on what it asked before).
#pragma once

#include <cstddef>

#include "absl/status/statusor.h"
#include "collectives/algorithm.h"

namespace ultracc::collectives {

class AlgorithmChooser {
 public:
  virtual ~AlgorithmChooser() = default;

  // The algorithm for `kind` among `participants` members, each moving `message_bytes` as
  // ChooseAlgorithm counts them. The answer must implement `kind` (AlgorithmApplies). Only asked
  // what ResolveAlgorithm below leaves to it (never the barrier or all-to-allv). Callable from
  // several threads at once.
  virtual absl::StatusOr<Algorithm> Choose(CollectiveKind kind, size_t message_bytes,
                                           int participants) const = 0;

  // The executor's slice for `algorithm` running `kind` over `message_bytes` among `participants`
  // (the tuner's choice per collective, size and the levels its messages cross); 0 keeps the
  // engine's own. The same on every member for the same arguments, as Choose.
  virtual size_t SliceBytes(CollectiveKind kind, size_t message_bytes, int participants,
                            Algorithm algorithm) const {
    return 0;
  }
};

// What a NodeEngine runs (the one rule the engine and `ultracc bench`'s algorithm column share):
// `forced` where it applies; else the chooser's answer when there is one and the collective has a
// choice to tune; else the size rule (ChooseAlgorithm). All-to-allv keeps the size rule: its
// per-member byte counts differ, so an answer driven by them could differ between members. A
// single participant runs no schedule, so it needs no tuning either. Fails on an invalid
// argument, a failing chooser, or an answer that does not implement `kind`.
absl::StatusOr<Algorithm> ResolveAlgorithm(CollectiveKind kind, size_t message_bytes,
                                           int participants, Algorithm forced,
                                           const AlgorithmChooser* chooser);

}  // namespace ultracc::collectives
