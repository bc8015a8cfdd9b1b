// The --show-algorithm column; see algorithm_column.h.
#include "tools/bench/algorithm_column.h"

#include <cstdlib>
#include <map>
#include <optional>

#include "collectives/algorithm.h"
#include "collectives/tuner/cost_model.h"
#include "runtime/topology/topology_source.h"

namespace ultracc::bench {

using collectives::Algorithm;
using collectives::CollectiveKind;

struct AlgorithmColumn::Model {
  collectives::tuner::CostModel costs;
};

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
  const std::optional<CollectiveKind> kind = KindOf(collective);
  if (!kind) return "p2p";
  absl::StatusOr<Algorithm> chosen = collectives::ChooseAlgorithm(
      *kind, rule_bytes, participants_, static_cast<Algorithm>(forced_));
  return chosen.ok() ? std::string(collectives::AlgorithmName(*chosen)) : "?";
}

bool AlgorithmColumn::UseTopology(const std::string& spec, int ranks_per_node, int nodes,
                                  std::string* error) {
  absl::StatusOr<topology::Topology> topo = topology::LoadTopology(spec);
  if (!topo.ok()) {
    *error = "--topology " + spec + ": " + std::string(topo.status().message());
    return false;
  }
  const int per_server = static_cast<int>(topo->spec().nodes_per_ultraserver());
  collectives::tuner::RankLayout layout;
  layout.ranks_per_node = ranks_per_node;
  layout.nodes_per_ultraserver = nodes < per_server ? nodes : per_server;
  layout.ultraservers = (nodes + per_server - 1) / per_server;
  if (nodes > per_server && nodes % per_server != 0) {
    *error = "--topology " + spec + ": " + std::to_string(nodes) +
             " nodes do not fill whole UltraServers of " + std::to_string(per_server) + " nodes";
    return false;
  }
  absl::StatusOr<collectives::tuner::CostModel> costs =
      collectives::tuner::CostModel::Create(*topo, layout);
  if (!costs.ok()) {
    *error = "--topology " + spec + ": " + std::string(costs.status().message());
    return false;
  }
  model_ = std::make_shared<const Model>(Model{*std::move(costs)});
  return true;
}

double AlgorithmColumn::PredictedUs(const std::string& collective, size_t rule_bytes) const {
  const std::optional<CollectiveKind> kind = KindOf(collective);
  if (model_ == nullptr || !kind) return -1;
  // The algorithm the engine runs between nodes, priced over the topology's levels.
  absl::StatusOr<Algorithm> chosen = collectives::ChooseAlgorithm(
      *kind, rule_bytes, participants_, static_cast<Algorithm>(forced_));
  if (!chosen.ok()) return -1;
  absl::StatusOr<collectives::tuner::Prediction> p =
      model_->costs.Predict(*kind, *chosen, rule_bytes);
  return p.ok() ? p->seconds() * 1e6 : -1;
}

}  // namespace ultracc::bench
