// One collective as every local chip of a node issued it, and the one function that runs it on a
// NodeEngine. Embedded mode (one chip) and the node daemon (every chip of the node) both go
// through here, so the two modes cannot drift apart.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "collectives/algorithm.h"
#include "collectives/datatype.h"
#include "collectives/node_engine.h"
#include "runtime/submission/op_descriptor.h"

namespace ultracc::engine {

// Message tags of one communicator on a transport its relatives may share (a split communicator
// shares its parent's links): bit 63 marks point-to-point traffic, bit 62 the call agreement that
// precedes a collective (call_agreement.h), both bits its second round (the calls gathered after a
// disagreement), bit 63 with any of bits 0..23 the timeout report (timeout_report.h; point-to-point
// tags leave those bits clear), bits 48..61 hold the communicator id, bits 24..47 the
// sequence number (wrapping: messages 2^24 operations apart never coexist), bits 0..23 belong to
// the collective executor.
inline constexpr int kCommIdBits = 14;
inline constexpr uint32_t kMaxCommId = (1u << kCommIdBits) - 1;
// The op_seq a NodeEngine gets for collective `sequence` of communicator `comm_id`, and for the
// agreement on that call.
uint64_t EngineOpSeq(uint32_t comm_id, uint64_t sequence);
uint64_t AgreementOpSeq(uint32_t comm_id, uint64_t sequence);
uint64_t AgreementDetailOpSeq(uint32_t comm_id, uint64_t sequence);
// The tag of the timeout reports of communicator `comm_id` (at most one exchange per links).
uint64_t TimeoutReportTag(uint32_t comm_id);
// The tag of point-to-point message `sequence` of communicator `comm_id` (per direction and pair).
uint64_t PointToPointTag(uint32_t comm_id, uint64_t sequence);

struct CollectiveCall {
  submission::OpKind kind = submission::OpKind::kAllReduce;
  size_t count = 0;  // as in client::Operation
  collectives::DataType dtype = collectives::DataType::kFloat32;
  collectives::RedOp op = collectives::RedOp::kSum;
  int root = -1;
  // One entry per local chip.
  std::vector<const void*> inputs;
  std::vector<void*> outputs;
  // All-to-allv only: one array of world entries per local chip.
  std::vector<const size_t*> send_counts, send_displs, recv_counts, recv_displs;
};

// Runs `call` on `engine` as operation `op_seq`; `algorithm` is the forced choice (kAuto: the
// size rule). InvalidArgument for a kind that is not a collective.
absl::Status RunCollective(collectives::NodeEngine& engine, const CollectiveCall& call,
                           uint64_t op_seq, collectives::Algorithm algorithm, absl::Time deadline);

}  // namespace ultracc::engine
