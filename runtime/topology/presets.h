// Named topologies: the Trainium UltraServers and UltraClusters, and this host. Each preset's
// figures and their public sources are in presets.cc.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "topology.pb.h"

namespace ultracc::topology {

// "trn3-ultraserver", "trn3-ultraserver-gen1", "trn2-ultraserver", "trn3-ultracluster:N", "host".
std::vector<std::string> PresetNames();

// Whether `name` means a preset (for trn3-ultracluster, any "trn3-ultracluster:..." even with a bad
// N, so that the error is about N rather than a missing file).
bool IsPresetName(absl::string_view name);

// The preset's spec; NotFound for a name that is no preset, InvalidArgument for a bad N.
// "host" measures this machine (see host_topology.h), which takes a few tens of milliseconds.
absl::StatusOr<proto::TopologySpec> PresetTopologySpec(absl::string_view name);

// UltraClusters 3.0 reach up to 1M chips (AWS, re:Invent 2025): 6944 UltraServers of 144 chips.
inline constexpr int kMaxUltraServers = 6944;

}  // namespace ultracc::topology
