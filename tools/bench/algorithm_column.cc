// The --show-algorithm column; see algorithm_column.h.
#include "tools/bench/algorithm_column.h"

#include <cstdlib>
#include <map>

#include "collectives/algorithm.h"

namespace ultracc::bench {

using collectives::Algorithm;
using collectives::CollectiveKind;

AlgorithmColumn::AlgorithmColumn(int nranks) {
  participants_ = nranks;
  const char* local = std::getenv("ULTRACC_LOCAL_SIZE");
  if (local != nullptr && std::atoi(local) > 0) participants_ = nranks / std::atoi(local);
  if (participants_ < 1) participants_ = 1;
  const char* forced = std::getenv("ULTRACC_ALGO");
  if (forced != nullptr && *forced != '\0') {
    absl::StatusOr<Algorithm> a = collectives::ParseAlgorithm(forced);
    forced_ = static_cast<int>(a.ok() ? *a : Algorithm::kAuto);
  }
}

AlgorithmColumn AlgorithmColumn::ForParticipants(int participants) {
  AlgorithmColumn column(participants);
  column.participants_ = participants < 1 ? 1 : participants;
  return column;
}

std::string AlgorithmColumn::For(const std::string& collective, size_t rule_bytes) const {
  static const std::map<std::string, CollectiveKind> kinds = {
      {"all_reduce", CollectiveKind::kAllReduce},
      {"reduce_scatter", CollectiveKind::kReduceScatter},
      {"all_gather", CollectiveKind::kAllGather},
      {"all_to_all", CollectiveKind::kAllToAll},
      {"all_to_allv", CollectiveKind::kAllToAllv},
      {"broadcast", CollectiveKind::kBroadcast},
      {"reduce", CollectiveKind::kReduce}};
  auto kind = kinds.find(collective);
  if (kind == kinds.end()) return "p2p";
  absl::StatusOr<Algorithm> chosen = collectives::ChooseAlgorithm(
      kind->second, rule_bytes, participants_, static_cast<Algorithm>(forced_));
  return chosen.ok() ? std::string(collectives::AlgorithmName(*chosen)) : "?";
}

}  // namespace ultracc::bench
