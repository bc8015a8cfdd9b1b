// Resolving a SPEC argument to a topology.
#include "runtime/topology/topology_source.h"

#include <sys/stat.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/topology/presets.h"
#include "runtime/topology/spec_text.h"

namespace ultracc::topology {

absl::StatusOr<proto::TopologySpec> LoadTopologySpec(absl::string_view spec) {
  if (IsPresetName(spec)) return PresetTopologySpec(spec);
  const std::string path(spec);
  struct stat info;
  if (stat(path.c_str(), &info) != 0) {
    return absl::NotFoundError(absl::StrCat("topology \"", spec, "\" is neither a preset (",
                                            absl::StrJoin(PresetNames(), ", "), ") nor a file"));
  }
  return ReadTopologySpecFile(path);
}

absl::StatusOr<Topology> LoadTopology(absl::string_view spec) {
  absl::StatusOr<proto::TopologySpec> loaded = LoadTopologySpec(spec);
  if (!loaded.ok()) return loaded.status();
  return Topology::FromSpec(*std::move(loaded));
}

}  // namespace ultracc::topology
