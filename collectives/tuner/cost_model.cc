// Dispatch from (collective, algorithm) to its cost, and the cheapest choice.
#include "collectives/tuner/cost_model.h"

#include "absl/strings/str_format.h"
#include "collectives/tuner/slice_choice.h"

namespace ultracc::collectives::tuner {

absl::StatusOr<CostModel> CostModel::Create(const topology::Topology& topology,
                                            const RankLayout& layout) {
  absl::StatusOr<RankHierarchy> hierarchy = RankHierarchy::Create(topology, layout);
  if (!hierarchy.ok()) return hierarchy.status();
  RoundLevels rounds = RoundLevels::Of(*hierarchy);
  return CostModel(*std::move(hierarchy), std::move(rounds));
}

absl::StatusOr<Prediction> CostModel::Predict(CollectiveKind collective, Algorithm algorithm,
                                              size_t bytes) const {
  absl::StatusOr<Algorithm> runs = ChooseAlgorithm(collective, bytes, ranks(), algorithm);
  if (!runs.ok()) return runs.status();
  if (algorithm != Algorithm::kAuto && *runs != algorithm) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s does not run %s", AlgorithmName(algorithm), CollectiveKindName(collective)));
  }
  const double b = static_cast<double>(bytes);
  std::optional<Cost> cost;
  switch (*runs) {
    case Algorithm::kRing:
      cost = RingCost(hierarchy_, collective, b);
      break;
    case Algorithm::kHalvingDoubling:
      cost = HalvingDoublingCost(hierarchy_, rounds_, collective, b);
      break;
    case Algorithm::kTree:
      cost = TreeCost(hierarchy_, rounds_, collective, b);
      break;
    case Algorithm::kDirect:
      cost = DirectCost(hierarchy_, collective, b);
      break;
    case Algorithm::kPairwise:
      cost = PairwiseCost(hierarchy_, collective, b);
      break;
    case Algorithm::kBruck:
      cost = BruckCost(hierarchy_, collective, b);
      break;
    case Algorithm::kHierarchical:
      cost = HierarchicalCost(hierarchy_, collective, b);
      break;
    case Algorithm::kAuto:  // only the barrier keeps kAuto: it has one algorithm
      if (collective == CollectiveKind::kBarrier) cost = DisseminationBarrierCost(hierarchy_);
      break;
  }
  if (!cost.has_value()) {
    return absl::InternalError(absl::StrFormat(
        "no cost for %s by %s", CollectiveKindName(collective), AlgorithmName(*runs)));
  }
  return Prediction{.collective = collective,
                    .algorithm = *runs,
                    .bytes = bytes,
                    .ranks = ranks(),
                    .cost = *cost,
                    .slice_bytes = ChooseSlice(hierarchy_, rounds_, collective, *runs, b)};
}

std::vector<Algorithm> CostModel::Candidates(CollectiveKind collective) {
  if (collective == CollectiveKind::kBarrier) return {Algorithm::kAuto};
  std::vector<Algorithm> candidates;
  for (Algorithm a : {Algorithm::kRing, Algorithm::kHalvingDoubling, Algorithm::kTree,
                      Algorithm::kPairwise, Algorithm::kBruck, Algorithm::kDirect,
                      Algorithm::kHierarchical}) {
    if (AlgorithmApplies(collective, a)) candidates.push_back(a);
  }
  return candidates;
}

absl::StatusOr<Prediction> CostModel::Cheapest(CollectiveKind collective, size_t bytes) const {
  std::optional<Prediction> best;
  for (Algorithm algorithm : Candidates(collective)) {
    absl::StatusOr<Prediction> p = Predict(collective, algorithm, bytes);
    if (!p.ok()) return p.status();
    if (!best.has_value() || p->seconds() < best->seconds()) best = *p;
  }
  if (!best.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("collective kind %d is invalid", static_cast<int>(collective)));
  }
  return *best;
}

absl::StatusOr<Prediction> PickCheapestAlgorithm(const topology::Topology& topology,
                                                 CollectiveKind collective, size_t bytes,
                                                 const RankLayout& layout) {
  absl::StatusOr<CostModel> model = CostModel::Create(topology, layout);
  if (!model.ok()) return model.status();
  return model->Cheapest(collective, bytes);
}

}  // namespace ultracc::collectives::tuner
