// Dispatch of a collective to the node engine; see collective_call.h.
#include "runtime/engine/collective_call.h"

#include "absl/strings/str_cat.h"

namespace ultracc::engine {
namespace {

constexpr int kSequenceShift = 24;
constexpr uint64_t kSequenceMask = (uint64_t{1} << 24) - 1;
constexpr int kCommIdShift = 48;
constexpr uint64_t kPointToPointBit = uint64_t{1} << 63;
constexpr uint64_t kAgreementBit = uint64_t{1} << 62;

}  // namespace

uint64_t EngineOpSeq(uint32_t comm_id, uint64_t sequence) {
  // The engine shifts op_seq left by the executor's 24 bits itself.
  return (static_cast<uint64_t>(comm_id) << (kCommIdShift - kSequenceShift)) |
         (sequence & kSequenceMask);
}

uint64_t AgreementOpSeq(uint32_t comm_id, uint64_t sequence) {
  return EngineOpSeq(comm_id, sequence) | (kAgreementBit >> kSequenceShift);
}

uint64_t AgreementDetailOpSeq(uint32_t comm_id, uint64_t sequence) {
  // Point-to-point tags never set the agreement bit, so the pair is free.
  return AgreementOpSeq(comm_id, sequence) | (kPointToPointBit >> kSequenceShift);
}

uint64_t TimeoutReportTag(uint32_t comm_id) {
  return kPointToPointBit | (static_cast<uint64_t>(comm_id) << kCommIdShift) | 1;
}

uint64_t PointToPointTag(uint32_t comm_id, uint64_t sequence) {
  return kPointToPointBit | (static_cast<uint64_t>(comm_id) << kCommIdShift) |
         ((sequence & kSequenceMask) << kSequenceShift);
}

absl::Status RunCollective(collectives::NodeEngine& engine, const CollectiveCall& call,
                           uint64_t op_seq, collectives::Algorithm algorithm,
                           absl::Time deadline) {
  using submission::OpKind;
  const auto& in = call.inputs;
  const auto& out = call.outputs;
  switch (call.kind) {
    case OpKind::kAllReduce:
      return engine.AllReduce(in, out, call.count, call.dtype, call.op, op_seq, deadline,
                              algorithm);
    case OpKind::kReduceScatter:
      return engine.ReduceScatter(in, out, call.count, call.dtype, call.op, op_seq, deadline,
                                  algorithm);
    case OpKind::kAllGather:
      return engine.AllGather(in, out, call.count, call.dtype, op_seq, deadline, algorithm);
    case OpKind::kAllToAll:
      return engine.AllToAll(in, out, call.count, call.dtype, op_seq, deadline, algorithm);
    case OpKind::kAllToAllv:
      return engine.AllToAllv(in, call.send_counts, call.send_displs, out, call.recv_counts,
                              call.recv_displs, call.dtype, op_seq, deadline, algorithm);
    case OpKind::kBroadcast:
      return engine.Broadcast(in, out, call.count, call.dtype, call.root, op_seq, deadline,
                              algorithm);
    case OpKind::kReduce:
      return engine.Reduce(in, out, call.count, call.dtype, call.op, call.root, op_seq, deadline,
                           algorithm);
    case OpKind::kBarrier:
      return engine.Barrier(op_seq, deadline);
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("operation kind ", static_cast<uint32_t>(call.kind),
                       " is not a collective"));
  }
}

}  // namespace ultracc::engine
