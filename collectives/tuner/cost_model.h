// The alpha-beta cost model over a topology: the predicted time of a collective run by a given
// algorithm, and the cheapest algorithm for a collective and size. Pure arithmetic (no transport,
// no clock): the tuner and `ultracc bench`'s predicted column build on it.
#pragma once

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "collectives/algorithm.h"
#include "collectives/tuner/algorithm_costs.h"
#include "collectives/tuner/cost.h"
#include "collectives/tuner/rank_hierarchy.h"
#include "runtime/topology/topology.h"

namespace ultracc::collectives::tuner {

struct Prediction {
  CollectiveKind collective = CollectiveKind::kAllReduce;
  Algorithm algorithm = Algorithm::kAuto;  // the one that runs (kAuto resolved; the barrier's own)
  size_t bytes = 0;
  int ranks = 1;
  Cost cost;
  // The executor's slice for it (slice_choice.h); 0: the engine's own.
  size_t slice_bytes = 0;

  double seconds() const { return cost.total_s(); }
};

// Thread-compatible; cheap to copy. The per-layout work (which level each log round crosses) is
// done once in Create.
class CostModel {
 public:
  // InvalidArgument when the layout does not fit the topology (rank_hierarchy.h).
  static absl::StatusOr<CostModel> Create(const topology::Topology& topology,
                                          const RankLayout& layout = {});

  int ranks() const { return hierarchy_.ranks(); }
  const RankHierarchy& hierarchy() const { return hierarchy_; }

  // The predicted time of `collective` over `bytes` (as ChooseAlgorithm counts them) by
  // `algorithm`. kAuto predicts what the default size rule picks. InvalidArgument when the
  // algorithm does not implement the collective.
  absl::StatusOr<Prediction> Predict(CollectiveKind collective, Algorithm algorithm,
                                     size_t bytes) const;

  // The algorithms that implement `collective`, in enum order (kAuto alone for the barrier).
  static std::vector<Algorithm> Candidates(CollectiveKind collective);

  // The cheapest candidate's prediction; ties go to the earlier candidate.
  absl::StatusOr<Prediction> Cheapest(CollectiveKind collective, size_t bytes) const;

 private:
  CostModel(RankHierarchy hierarchy, RoundLevels rounds)
      : hierarchy_(std::move(hierarchy)), rounds_(std::move(rounds)) {}

  RankHierarchy hierarchy_;
  RoundLevels rounds_;
};

// CostModel::Create(topology, layout) then Cheapest(collective, bytes).
absl::StatusOr<Prediction> PickCheapestAlgorithm(const topology::Topology& topology,
                                                 CollectiveKind collective, size_t bytes,
                                                 const RankLayout& layout = {});

}  // namespace ultracc::collectives::tuner
