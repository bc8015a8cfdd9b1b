// libFuzzer target: the topology parser. The bytes are a topology spec in text format, as a user
// could pass to `ultracc topo` or --topology; ParseTopologySpec must refuse or accept it without
// crashing, what it accepts must build a Topology, and printing it must read back to the same spec.
#include <cstddef>
#include <cstdint>
#include <string>

#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/message_differencer.h"
#include "runtime/topology/spec_text.h"
#include "runtime/topology/topology.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // the parser's own log of each bad input
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ultracc::proto::TopologySpec> spec = ultracc::topology::ParseTopologySpec(text);
  if (!spec.ok()) {
    if (spec.status().message().empty()) __builtin_trap();  // every refusal says why
    return 0;
  }
  // Parsing validates: an accepted spec is a topology.
  if (!ultracc::topology::Topology::FromSpec(*spec).ok()) __builtin_trap();
  absl::StatusOr<ultracc::proto::TopologySpec> again =
      ultracc::topology::ParseTopologySpec(ultracc::topology::PrintTopologySpec(*spec));
  if (!again.ok() || !google::protobuf::util::MessageDifferencer::Equals(*spec, *again)) {
    __builtin_trap();
  }
  return 0;
}
