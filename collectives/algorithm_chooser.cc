// The engine's choice between a forced algorithm, a chooser and the size rule.
#include "collectives/algorithm_chooser.h"

#include "absl/strings/str_format.h"

namespace ultracc::collectives {

absl::StatusOr<Algorithm> ResolveAlgorithm(CollectiveKind kind, size_t message_bytes,
                                           int participants, Algorithm forced,
                                           const AlgorithmChooser* chooser) {
  absl::StatusOr<Algorithm> rule = ChooseAlgorithm(kind, message_bytes, participants, forced);
  if (!rule.ok()) return rule;
  const bool honours_forced = forced != Algorithm::kAuto && AlgorithmApplies(kind, forced);
  if (chooser == nullptr || honours_forced || participants < 2 ||
      kind == CollectiveKind::kBarrier || kind == CollectiveKind::kAllToAllv) {
    return rule;
  }
  absl::StatusOr<Algorithm> tuned = chooser->Choose(kind, message_bytes, participants);
  if (!tuned.ok()) return tuned;
  if (*tuned == Algorithm::kAuto || !AlgorithmApplies(kind, *tuned)) {
    return absl::InternalError(absl::StrFormat("the algorithm chooser answered %s for %s",
                                               AlgorithmName(*tuned), CollectiveKindName(kind)));
  }
  return tuned;
}

}  // namespace ultracc::collectives
