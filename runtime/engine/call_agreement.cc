// Call agreement by one max-all-reduce of fields and complements; see call_agreement.h.
#include "runtime/engine/call_agreement.h"

#include <array>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/submission/operation.h"

namespace ultracc::engine {
namespace {

enum Field { kKind, kCount, kDtype, kOp, kRoot, kPoison, kNumFields };
constexpr const char* kFieldNames[kPoison] = {"operation", "count", "datatype", "op", "root"};

std::string FieldValue(int field, uint64_t value) {
  switch (field) {
    case kKind:
      return submission::OpKindName(static_cast<submission::OpKind>(value));
    case kDtype:
      return std::string(collectives::DataTypeName(static_cast<collectives::DataType>(value)));
    case kOp:
      return std::string(collectives::RedOpName(static_cast<collectives::RedOp>(value)));
    case kRoot:
      return absl::StrCat(static_cast<int64_t>(value) - 1);
    default:
      return absl::StrCat(value);
  }
}

}  // namespace

absl::Status AgreeOnCall(collectives::NodeEngine& engine, const CollectiveCall& call,
                         uint64_t op_seq, bool poisoned, absl::Time deadline) {
  std::array<uint64_t, kNumFields> mine{};
  mine[kKind] = static_cast<uint64_t>(call.kind);
  // All-to-allv's per-peer counts legitimately differ between ranks; only its kind is compared.
  mine[kCount] = call.kind == submission::OpKind::kAllToAllv ? 0 : call.count;
  mine[kDtype] = static_cast<uint64_t>(call.dtype);
  mine[kOp] = submission::IsReduction(call.kind) ? static_cast<uint64_t>(call.op) : 0;
  mine[kRoot] = static_cast<uint64_t>(static_cast<int64_t>(call.root) + 1);
  mine[kPoison] = poisoned ? 1 : 0;
  // [fields, complements]: one Max gives every field's maximum and (complemented) minimum.
  std::array<uint64_t, 2 * kNumFields> buffer{};
  for (int f = 0; f < kNumFields; ++f) {
    buffer[f] = mine[f];
    buffer[kNumFields + f] = ~mine[f];
  }
  // Every local chip made the same call (the daemon checked), so each contributes the same values,
  // from a copy of its own: the engine's buffers must not alias across chips.
  const size_t chips = call.inputs.size();
  std::vector<std::array<uint64_t, 2 * kNumFields>> copies(chips, buffer);
  std::vector<const void*> inputs(chips);
  std::vector<void*> outputs(chips);
  for (size_t c = 0; c < chips; ++c) inputs[c] = outputs[c] = copies[c].data();
  absl::Status s = engine.AllReduce(inputs, outputs, buffer.size(), collectives::DataType::kUint64,
                                    collectives::RedOp::kMax, op_seq, deadline);
  if (!s.ok()) return s;
  buffer = copies[0];
  if (buffer[kPoison] != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "ranks disagree: the ranks of one node made different calls (", poisoned ? "this" : "another",
        " node reports it to its ranks in detail)"));
  }
  for (int f = 0; f < kPoison; ++f) {
    const uint64_t largest = buffer[f];
    const uint64_t smallest = ~buffer[kNumFields + f];
    if (largest == smallest) continue;
    return absl::FailedPreconditionError(absl::StrCat(
        "ranks disagree on the ", kFieldNames[f], " of ", submission::OpKindName(call.kind),
        ": values range from ", FieldValue(f, smallest), " to ", FieldValue(f, largest),
        " (this rank: ", FieldValue(f, mine[f]), ")"));
  }
  return absl::OkStatus();
}

absl::Status RunAgreedCollective(collectives::NodeEngine& engine, const CollectiveCall& call,
                                 const absl::Status& local, const AgreedRun& run,
                                 absl::Time deadline, bool* links_clean) {
  *links_clean = true;
  if (run.has_peers && run.check_calls) {
    absl::Status agreed = AgreeOnCall(engine, call, AgreementOpSeq(run.comm_id, run.sequence),
                                      !local.ok(), deadline);
    // Disagreement is found by every member at once and leaves the links clean.
    if (!agreed.ok() && !absl::IsFailedPrecondition(agreed)) *links_clean = false;
    if (!local.ok()) return local;
    if (!agreed.ok()) return agreed;
  } else if (!local.ok()) {
    // Without the agreement the peers may already be waiting on this member.
    *links_clean = !run.has_peers;
    return local;
  }
  absl::Status status = RunCollective(engine, call, EngineOpSeq(run.comm_id, run.sequence),
                                      run.algorithm, deadline);
  // A failed collective leaves the members at different points of its schedule, messages in
  // flight.
  if (!status.ok()) *links_clean = false;
  return status;
}

}  // namespace ultracc::engine
