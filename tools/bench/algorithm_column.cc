// The --show-algorithm and predicted columns; see algorithm_column.h.
#include "tools/bench/algorithm_column.h"

#include <cstdlib>
#include <map>
#include <optional>

#include "collectives/algorithm.h"
#include "collectives/algorithm_chooser.h"
#include "collectives/node_engine.h"
#include "collectives/tuner/member_layout.h"
#include "collectives/tuner/topology_chooser.h"
#include "runtime/topology/topology_source.h"

namespace ultracc::bench {

using collectives::Algorithm;
using collectives::CollectiveKind;

namespace {
std::optional<CollectiveKind> KindOf(const std::string& collective) {
  static const std::map<std::string, CollectiveKind> kinds = {
      {"all_reduce", CollectiveKind::kAllReduce},
      {"reduce_scatter", CollectiveKind::kReduceScatter},
      {"all_gather", CollectiveKind::kAllGather},
      {"all_to_all", CollectiveKind::kAllToAll},
      {"all_to_allv", CollectiveKind::kAllToAllv},
      {"broadcast", CollectiveKind::kBroadcast},
      {"reduce", CollectiveKind::kReduce}};
  auto kind = kinds.find(collective);
  if (kind == kinds.end()) return std::nullopt;
  return kind->second;
}
}  // namespace

AlgorithmColumn::AlgorithmColumn(int nranks) {
  participants_ = nranks;
  const char* local = std::getenv("ULTRACC_LOCAL_SIZE");
  if (local != nullptr && std::atoi(local) > 0) participants_ = nranks / std::atoi(local);
  if (participants_ < 1) participants_ = 1;
  chips_ = nranks / participants_ < 1 ? 1 : nranks / participants_;
  const char* forced = std::getenv("ULTRACC_ALGO");
  if (forced != nullptr && *forced != '\0') {
    absl::StatusOr<Algorithm> a = collectives::ParseAlgorithm(forced);
    forced_ = static_cast<int>(a.ok() ? *a : Algorithm::kAuto);
  }
}

AlgorithmColumn AlgorithmColumn::ForParticipants(int participants, int chips_per_participant) {
  AlgorithmColumn column(participants);
  column.participants_ = participants < 1 ? 1 : participants;
  column.chips_ = chips_per_participant < 1 ? 1 : chips_per_participant;
  return column;
}

std::string AlgorithmColumn::For(const std::string& collective, size_t rule_bytes) const {
  const std::optional<CollectiveKind> kind = KindOf(collective);
  if (!kind) return "p2p";
  absl::StatusOr<Algorithm> chosen = collectives::ResolveAlgorithm(
      *kind, collectives::NodeMessageBytes(*kind, rule_bytes, chips_), participants_,
      static_cast<Algorithm>(forced_), EngineChooser().get());
  return chosen.ok() ? std::string(collectives::AlgorithmName(*chosen)) : "?";
}

bool AlgorithmColumn::UseTopology(const std::string& spec, bool engine_tunes, std::string* error) {
  absl::StatusOr<topology::Topology> topo = topology::LoadTopology(spec);
  if (!topo.ok()) {
    *error = "--topology " + spec + ": " + std::string(topo.status().message());
    return false;
  }
  absl::StatusOr<collectives::tuner::RankLayout> layout =
      collectives::tuner::MemberLayout(*topo, participants_, 1, chips_);
  if (!layout.ok()) {
    *error = "--topology " + spec + ": " + std::string(layout.status().message());
    return false;
  }
  absl::StatusOr<std::shared_ptr<collectives::tuner::TopologyChooser>> tuner =
      collectives::tuner::TopologyChooser::Create(*topo, *layout);
  if (!tuner.ok()) {
    *error = "--topology " + spec + ": " + std::string(tuner.status().message());
    return false;
  }
  tuner_ = *std::move(tuner);
  engine_tunes_ = engine_tunes;
  group_members_ = collectives::tuner::MembersPerUltraServer(*layout);
  return true;
}

std::shared_ptr<const collectives::AlgorithmChooser> AlgorithmColumn::EngineChooser() const {
  if (!engine_tunes_) return nullptr;
  return tuner_;
}

double AlgorithmColumn::PredictedUs(const std::string& collective, size_t rule_bytes) const {
  const std::optional<CollectiveKind> kind = KindOf(collective);
  if (tuner_ == nullptr || !kind) return -1;
  const size_t bytes = collectives::NodeMessageBytes(*kind, rule_bytes, chips_);
  absl::StatusOr<Algorithm> chosen = collectives::ResolveAlgorithm(
      *kind, bytes, participants_, static_cast<Algorithm>(forced_), EngineChooser().get());
  if (!chosen.ok()) return -1;
  // The inter-node schedule the engine runs, priced over the topology's levels.
  absl::StatusOr<collectives::tuner::Prediction> p = tuner_->model().Predict(*kind, *chosen, bytes);
  return p.ok() ? p->seconds() * 1e6 : -1;
}

}  // namespace ultracc::bench
