// The algorithm chooser a node engine gets from the job's settings: the tuner over
// ULTRACC_TOPOLOGY's cost model, tracing each new choice when ULTRACC_DEBUG=TUNING. Both modes
// (node daemon and embedded) build their engines' chooser here.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "collectives/algorithm_chooser.h"
#include "collectives/ring.h"
#include "runtime/config.h"

namespace ultracc::engine {

// Null when no topology is configured (the engine keeps the size rule). `members` are the engine's
// members, `members_per_node` of them to a node, each driving `chips_per_member` chips' links (a
// node daemon's engine: members are nodes, 1 to a node, each of the job's chips per node);
// `who` ("node 2", "rank 5") starts each trace line. InvalidArgument naming ULTRACC_TOPOLOGY when
// the members do not fit the topology.
absl::StatusOr<std::shared_ptr<const collectives::AlgorithmChooser>> EngineChooser(
    const Config& config, int members, int members_per_node, int chips_per_member,
    absl::string_view who);

// Members per UltraServer for the hierarchical all-reduce's groups (NodeEngineOptions::
// group_members), for members laid out as EngineChooser takes them; 1 without a topology or when
// they do not fit it.
int EngineGroupMembers(const Config& config, int members, int members_per_node,
                       int chips_per_member);

// The ring through the topology's links (NodeEngineOptions::ring_order) for members laid out the
// same way; rank order without a topology or when they do not fit it.
collectives::RingOrder EngineRingOrder(const Config& config, int members, int members_per_node,
                                       int chips_per_member);

}  // namespace ultracc::engine
