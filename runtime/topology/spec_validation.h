// What a TopologySpec must satisfy beyond its syntax: counts of at least one, a level's links for
// every level with more than one member, positive bandwidths, non-negative latencies, torus extents
// that multiply to the member count, and a host list that places every node once. Errors name the
// field and, when the spec came from text, the line where it appears.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/text_format.h"
#include "topology.pb.h"

namespace ultracc::topology {

// Above the largest UltraCluster (about 1M chips) with room to spare, and small enough that rank
// and node arithmetic stays within int.
inline constexpr int64_t kMaxChips = int64_t{1} << 24;

// OK, or InvalidArgument listing every problem, one per line, as
// "source:line:column: field.path: what is wrong" (without line and column when `locations` is
// null or does not hold the field, e.g. for presets or a field that is missing).
absl::Status ValidateTopologySpec(
    const proto::TopologySpec& spec, absl::string_view source,
    const google::protobuf::TextFormat::ParseInfoTree* locations = nullptr);

}  // namespace ultracc::topology
