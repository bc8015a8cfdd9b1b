// A TopologySpec to and from protobuf text format, with errors that name the source, the line and
// the field: "cluster.textproto:7:17: node.latency_us: Expected double, got: fast". Parsing also
// validates (spec_validation.h), reporting semantic errors at the line where the field appears.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "topology.pb.h"

namespace ultracc::topology {

// `source` names the text in messages (a file path, or a label such as "<string>").
absl::StatusOr<proto::TopologySpec> ParseTopologySpec(absl::string_view text,
                                                      absl::string_view source = "<string>");

// Reads and parses a .textproto file.
absl::StatusOr<proto::TopologySpec> ReadTopologySpecFile(const std::string& path);

// Text format that ParseTopologySpec reads back to an equal message.
std::string PrintTopologySpec(const proto::TopologySpec& spec);

}  // namespace ultracc::topology
