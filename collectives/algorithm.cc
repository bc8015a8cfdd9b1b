// Algorithm names, applicability and the default size rule.
#include "collectives/algorithm.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace ultracc::collectives {
namespace {

constexpr std::array<absl::string_view, 8> kAlgorithmNames = {
    "auto", "ring", "rhd", "tree", "pairwise", "bruck", "direct", "hier"};

bool IsValidAlgorithm(Algorithm algorithm) {
  const int value = static_cast<int>(algorithm);
  return value >= 0 && value < static_cast<int>(kAlgorithmNames.size());
}

bool IsValidKind(CollectiveKind kind) {
  const int value = static_cast<int>(kind);
  return value >= 0 && value <= static_cast<int>(CollectiveKind::kBarrier);
}

}  // namespace

absl::StatusOr<Algorithm> ParseAlgorithm(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
  for (size_t i = 0; i < kAlgorithmNames.size(); ++i) {
    if (lower == kAlgorithmNames[i]) return static_cast<Algorithm>(i);
  }
  return absl::InvalidArgumentError(absl::StrFormat(
      "unknown collective algorithm \"%s\"; valid names are %s", name, AlgorithmNames()));
}

absl::string_view AlgorithmName(Algorithm algorithm) {
  return IsValidAlgorithm(algorithm) ? kAlgorithmNames[static_cast<int>(algorithm)] : "invalid";
}

std::string AlgorithmNames() { return absl::StrJoin(kAlgorithmNames, ", "); }

absl::string_view CollectiveKindName(CollectiveKind kind) {
  switch (kind) {
    case CollectiveKind::kAllReduce:
      return "all-reduce";
    case CollectiveKind::kReduceScatter:
      return "reduce-scatter";
    case CollectiveKind::kAllGather:
      return "all-gather";
    case CollectiveKind::kAllToAll:
      return "all-to-all";
    case CollectiveKind::kAllToAllv:
      return "all-to-allv";
    case CollectiveKind::kBroadcast:
      return "broadcast";
    case CollectiveKind::kReduce:
      return "reduce";
    case CollectiveKind::kBarrier:
      return "barrier";
  }
  return "invalid";
}

bool AlgorithmApplies(CollectiveKind kind, Algorithm algorithm) {
  if (algorithm == Algorithm::kAuto) return true;
  switch (kind) {
    case CollectiveKind::kAllReduce:
      return algorithm == Algorithm::kRing || algorithm == Algorithm::kHalvingDoubling ||
             algorithm == Algorithm::kTree || algorithm == Algorithm::kDirect ||
             algorithm == Algorithm::kHierarchical;
    case CollectiveKind::kReduceScatter:
    case CollectiveKind::kAllGather:
      return algorithm == Algorithm::kRing || algorithm == Algorithm::kHalvingDoubling ||
             algorithm == Algorithm::kDirect || algorithm == Algorithm::kHierarchical;
    case CollectiveKind::kAllToAll:
      return algorithm == Algorithm::kPairwise || algorithm == Algorithm::kBruck ||
             algorithm == Algorithm::kDirect;
    case CollectiveKind::kAllToAllv:
      return algorithm == Algorithm::kPairwise || algorithm == Algorithm::kDirect;
    case CollectiveKind::kBroadcast:
      return algorithm == Algorithm::kTree || algorithm == Algorithm::kDirect;
    case CollectiveKind::kReduce:
      return algorithm == Algorithm::kTree;
    case CollectiveKind::kBarrier:
      return false;
  }
  return false;
}

absl::StatusOr<Algorithm> ChooseAlgorithm(CollectiveKind kind, size_t message_bytes,
                                          int participants, Algorithm forced) {
  if (!IsValidKind(kind)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("collective kind %d is invalid", static_cast<int>(kind)));
  }
  if (!IsValidAlgorithm(forced)) {
    return absl::InvalidArgumentError(absl::StrFormat("algorithm %d is invalid; valid: %s",
                                                      static_cast<int>(forced), AlgorithmNames()));
  }
  if (participants < 1) {
    return absl::InvalidArgumentError(absl::StrFormat("%s among %d participants; need at least 1",
                                                      CollectiveKindName(kind), participants));
  }
  if (forced != Algorithm::kAuto && AlgorithmApplies(kind, forced)) return forced;
  switch (kind) {
    case CollectiveKind::kAllReduce:
    case CollectiveKind::kReduceScatter:
    case CollectiveKind::kAllGather:
      return message_bytes < kSmallMessageBytes ? Algorithm::kHalvingDoubling : Algorithm::kRing;
    case CollectiveKind::kAllToAll:
      return participants > 2 && message_bytes / participants <= kSmallBlockBytes
                 ? Algorithm::kBruck
                 : Algorithm::kPairwise;
    case CollectiveKind::kAllToAllv:
      return Algorithm::kPairwise;
    case CollectiveKind::kBroadcast:
    case CollectiveKind::kReduce:
      return Algorithm::kTree;
    case CollectiveKind::kBarrier:
      return Algorithm::kAuto;
  }
  return Algorithm::kAuto;
}

}  // namespace ultracc::collectives
