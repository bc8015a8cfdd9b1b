// Call agreement: one max-all-reduce of fields and complements, and on disagreement a gather of
// every rank's call; see call_agreement.h.
#include "runtime/engine/call_agreement.h"

#include <array>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/engine/timeout_report.h"
#include "runtime/submission/operation.h"

namespace ultracc::engine {
namespace {

enum Field { kKind, kCount, kDtype, kOp, kRoot, kPoison, kNumFields };
using Fields = std::array<uint64_t, kNumFields>;

Fields ToFields(const CallSignature& s, bool poisoned) {
  Fields f{};
  f[kKind] = s.kind;
  f[kCount] = s.count;
  f[kDtype] = s.dtype;
  f[kOp] = s.op;
  f[kRoot] = static_cast<uint64_t>(s.root + 1);
  f[kPoison] = poisoned ? 1 : 0;
  return f;
}

CallSignature FromFields(const uint64_t* f) {
  return {f[kKind], f[kCount], f[kDtype], f[kOp], static_cast<int64_t>(f[kRoot]) - 1};
}

// Round one: true when every participant contributed the same fields.
absl::StatusOr<bool> AllAgree(collectives::NodeEngine& engine, const Agreement& a,
                              absl::Time deadline) {
  const Fields mine = ToFields(a.chips[0], a.poisoned);
  // [fields, complements]: one Max gives every field's maximum and (complemented) minimum.
  std::array<uint64_t, 2 * kNumFields> buffer{};
  for (int f = 0; f < kNumFields; ++f) {
    buffer[f] = mine[f];
    buffer[kNumFields + f] = ~mine[f];
  }
  // Each local chip contributes from a copy of its own: the engine's buffers must not alias across
  // chips.
  const size_t chips = a.chips.size();
  std::vector<std::array<uint64_t, 2 * kNumFields>> copies(chips, buffer);
  std::vector<const void*> inputs(chips);
  std::vector<void*> outputs(chips);
  for (size_t c = 0; c < chips; ++c) inputs[c] = outputs[c] = copies[c].data();
  absl::Status s =
      engine.AllReduce(inputs, outputs, buffer.size(), collectives::DataType::kUint64,
                       collectives::RedOp::kMax, AgreementOpSeq(a.comm_id, a.sequence), deadline);
  if (!s.ok()) return s;
  const auto& result = copies[0];
  if (result[kPoison] != 0) return false;
  for (int f = 0; f < kPoison; ++f) {
    if (result[f] != ~result[kNumFields + f]) return false;
  }
  return true;
}

// Round two: every rank's fields, by rank (node-major, as the engine lays out chips).
absl::StatusOr<std::vector<Fields>> GatherCalls(collectives::NodeEngine& engine, const Agreement& a,
                                                absl::Time deadline) {
  const size_t chips = a.chips.size();
  const size_t world = static_cast<size_t>(engine.num_nodes()) * chips;
  std::vector<Fields> mine(chips);
  std::vector<std::vector<Fields>> gathered(chips, std::vector<Fields>(world));
  std::vector<const void*> inputs(chips);
  std::vector<void*> outputs(chips);
  for (size_t c = 0; c < chips; ++c) {
    mine[c] = ToFields(a.chips[c], a.poisoned);
    inputs[c] = mine[c].data();
    outputs[c] = gathered[c].data();
  }
  absl::Status s = engine.AllGather(inputs, outputs, kNumFields, collectives::DataType::kUint64,
                                    AgreementDetailOpSeq(a.comm_id, a.sequence), deadline);
  if (!s.ok()) return s;
  return std::move(gathered[0]);
}

}  // namespace

absl::Status AgreeOnCall(collectives::NodeEngine& engine, const Agreement& agreement,
                         absl::Time deadline, bool* calls_differ) {
  *calls_differ = false;
  absl::StatusOr<bool> agreed = AllAgree(engine, agreement, deadline);
  if (!agreed.ok()) return agreed.status();
  if (*agreed) return absl::OkStatus();
  absl::StatusOr<std::vector<Fields>> calls = GatherCalls(engine, agreement, deadline);
  if (!calls.ok()) return calls.status();
  std::vector<CallSignature> by_rank;
  int poisoned_rank = -1;
  for (size_t r = 0; r < calls->size(); ++r) {
    by_rank.push_back(FromFields((*calls)[r].data()));
    if ((*calls)[r][kPoison] != 0 && poisoned_rank < 0) poisoned_rank = static_cast<int>(r);
  }
  absl::Status compared = CompareSignatures(by_rank, 0, agreement.sequence);
  if (!compared.ok()) {
    *calls_differ = true;
    return compared;
  }
  return absl::FailedPreconditionError(
      absl::StrCat("the node of rank ", poisoned_rank, " refused ", DescribeSignature(by_rank[0]),
                   " as op #", agreement.sequence, " (its ranks got the cause)"));
}

absl::Status RunAgreedCollective(collectives::NodeEngine& engine, const CollectiveCall& call,
                                 const absl::Status& local, const AgreedRun& run,
                                 absl::Time deadline, bool* links_clean) {
  *links_clean = true;
  auto reported = [&](const absl::Status& status) {
    if (!absl::IsDeadlineExceeded(status) || run.links == nullptr) return status;
    TimeoutReport report;
    report.links = run.links;
    report.chips_per_node = run.chips_per_node;
    report.comm_id = run.comm_id;
    report.sequence = run.sequence;
    report.window = run.report_window;
    return ReportTimeout(status, report);
  };
  if (run.has_peers && run.check_calls) {
    std::vector<CallSignature> same;
    Agreement agreement;
    agreement.comm_id = run.comm_id;
    agreement.sequence = run.sequence;
    if (run.chip_calls.empty()) {
      same.assign(call.inputs.size(), SignatureOf(call));
      agreement.chips = same;
    } else {
      agreement.chips = run.chip_calls;
    }
    agreement.poisoned = !local.ok();
    bool calls_differ = false;
    absl::Status agreed = AgreeOnCall(engine, agreement, deadline, &calls_differ);
    // Disagreement is found by every member at once and leaves the links clean.
    if (!agreed.ok() && !absl::IsFailedPrecondition(agreed)) {
      *links_clean = false;
      agreed = reported(agreed);
    }
    if (!local.ok()) return calls_differ ? agreed : local;
    if (!agreed.ok()) return agreed;
  } else if (!local.ok()) {
    // Without the agreement the peers may already be waiting on this member.
    *links_clean = !run.has_peers;
    return local;
  }
  absl::Status status =
      RunCollective(engine, call, EngineOpSeq(run.comm_id, run.sequence), run.algorithm, deadline);
  // A failed collective leaves the members at different points of its schedule, messages in
  // flight.
  if (!status.ok()) *links_clean = false;
  return reported(status);
}

}  // namespace ultracc::engine
