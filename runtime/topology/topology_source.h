// Where a topology comes from on the command line: a SPEC argument names a preset
// (presets.h) or a text-format file.
#pragma once

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/topology/topology.h"
#include "topology.pb.h"

namespace ultracc::topology {

// The preset named `spec`, else the file at that path (a file that shares a preset's name is read
// as ./NAME). A name that is neither is NotFound, listing the presets.
absl::StatusOr<proto::TopologySpec> LoadTopologySpec(absl::string_view spec);

// LoadTopologySpec, then the model.
absl::StatusOr<Topology> LoadTopology(absl::string_view spec);

}  // namespace ultracc::topology
