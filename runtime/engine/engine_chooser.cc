// The tuner from the job's settings; see engine_chooser.h.
#include "runtime/engine/engine_chooser.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "collectives/tuner/member_layout.h"
#include "collectives/tuner/ring_order.h"
#include "collectives/tuner/topology_chooser.h"
#include "runtime/log.h"

namespace ultracc::engine {

absl::StatusOr<std::shared_ptr<const collectives::AlgorithmChooser>> EngineChooser(
    const Config& config, int members, int members_per_node, int chips_per_member,
    absl::string_view who) {
  if (config.topology == nullptr) return nullptr;
  namespace tuner = collectives::tuner;
  auto refused = [&](const absl::Status& s) {
    return absl::InvalidArgumentError(
        absl::StrCat("ULTRACC_TOPOLOGY=", config.topology_spec, ": ", who, ": ", s.message()));
  };
  absl::StatusOr<tuner::RankLayout> layout =
      tuner::MemberLayout(*config.topology, members, members_per_node, chips_per_member);
  if (!layout.ok()) return refused(layout.status());
  tuner::TopologyChooser::Observer trace;
  if (config.debug_tuning) {
    trace = [prefix = std::string(who)](const tuner::TunedChoice& choice) {
      LogDebug("TUNING", absl::StrCat(prefix, ": ", tuner::DescribeChoice(choice)));
    };
  }
  absl::StatusOr<std::shared_ptr<tuner::TopologyChooser>> chooser =
      tuner::TopologyChooser::Create(*config.topology, *layout, std::move(trace));
  if (!chooser.ok()) return refused(chooser.status());
  return std::shared_ptr<const collectives::AlgorithmChooser>(*std::move(chooser));
}

int EngineGroupMembers(const Config& config, int members, int members_per_node,
                       int chips_per_member) {
  if (config.topology == nullptr) return 1;
  absl::StatusOr<collectives::tuner::RankLayout> layout = collectives::tuner::MemberLayout(
      *config.topology, members, members_per_node, chips_per_member);
  return layout.ok() ? collectives::tuner::MembersPerUltraServer(*layout) : 1;
}

collectives::RingOrder EngineRingOrder(const Config& config, int members, int members_per_node,
                                       int chips_per_member) {
  if (config.topology == nullptr) return {};
  absl::StatusOr<collectives::tuner::RankLayout> layout = collectives::tuner::MemberLayout(
      *config.topology, members, members_per_node, chips_per_member);
  if (!layout.ok()) return {};
  return collectives::tuner::TopologyRingOrder(*config.topology, *layout);
}

}  // namespace ultracc::engine
