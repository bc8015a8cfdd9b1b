// The collective half of a job's node engine: the engine thread gathers each collective from every
// local rank, checks the call (locally and, through the call agreement, with the other nodes) and
// runs it on the NodeEngine; see node_job.h.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "collectives/datatype.h"
#include "runtime/daemon/node_job.h"
#include "runtime/engine/call_agreement.h"
#include "runtime/engine/call_signature.h"
#include "runtime/engine/timeout_report.h"
#include "runtime/engine/collective_call.h"
#include "runtime/submission/operation.h"

namespace ultracc::daemon {

using submission::DescribeDescriptor;
using submission::OpDescriptor;
using submission::OpKind;

void NodeJob::EngineLoop() {
  if (absl::Status s = ConnectNodes(); !s.ok()) {
    Fail(absl::UnavailableError(absl::StrCat("node ", options_.node_rank,
                                             " could not connect to the other nodes: ",
                                             s.message())));
  } else if (absl::Status s = ShareMemory(); !s.ok() && !absl::IsCancelled(s)) {
    Fail(std::move(s));
  }
  uint64_t next = 1;
  while (true) {
    std::vector<OpDescriptor> parts;
    absl::Status failure;
    std::vector<std::pair<OpDescriptor, std::vector<int>>> orphans;
    absl::Status stall;
    int missing_rank = -1;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        if (stopping_ || !error_.ok()) return true;
        // Collectives the ranks ran on the call board never come here: every rank skips the same
        // ones, so the lowest one submitted is the next to run.
        if (!pending_.empty() && pending_.begin()->first > next) next = pending_.begin()->first;
        auto it = pending_.find(next);
        if (it == pending_.end()) return false;
        for (const auto& p : it->second) {
          if (!p) return false;
        }
        return true;
      };
      // Wake up in time to name a local rank that does not follow the others.
      absl::Duration wait = kPollSlice;
      if (auto arrived = first_arrival_.find(next); arrived != first_arrival_.end()) {
        wait = std::clamp(arrived->second + options_.config.timeout - absl::Now(),
                          absl::Milliseconds(1), kPollSlice);
      }
      engine_op_ = next;
      mu_.AwaitWithTimeout(absl::Condition(&ready), wait);
      if (stopping_) return;
      failure = error_;
      if (failure.ok() && !ready()) {
        stall = LocalStall(next, &missing_rank);
        if (stall.ok()) continue;
      }
      if (!stall.ok()) {
        // Fail() below answers what arrived, on the next pass.
      } else if (!failure.ok()) {
        for (auto& [seq, slots] : pending_) {
          for (int l = 0; l < local_size(); ++l) {
            if (slots[l]) orphans.emplace_back(*slots[l], std::vector<int>{l});
          }
        }
        pending_.clear();
        first_arrival_.clear();
      } else {
        for (auto& p : pending_[next]) parts.push_back(*p);
        pending_.erase(next);
        first_arrival_.erase(next);
      }
    }
    if (!stall.ok()) {
      // The other nodes wait for this one in the agreement and time out about now: they learn
      // which rank is missing from this node's timeout report.
      if (engine_ && transport_) {
        engine::TimeoutReport report;
        report.links = transport_.get();
        report.chips_per_node = local_size();
        report.sequence = next;
        report.window = engine::TimeoutReportWindow(options_.config.timeout);
        report.stalled_rank = missing_rank;
        stall = engine::ReportTimeout(stall, report);
      }
      Fail(stall);
      continue;
    }
    if (!failure.ok()) {
      // Answer every submission that arrived, so no rank waits for a job that cannot go on.
      for (const auto& [d, arrived] : orphans) Complete(d, arrived, failure);
      continue;
    }
    bool links_clean = true;
    absl::Status status = Execute(parts, &links_clean);
    std::vector<int> all(local_size());
    for (int l = 0; l < local_size(); ++l) all[l] = l;
    Complete(parts[0], all, status);
    // A failure after data started moving ends the job's collectives: the nodes are at different
    // points of the schedule and the links in an unknown state. Calls the nodes found to disagree
    // before anything moved fail alone.
    if (!status.ok() && !links_clean) Fail(status);
    ++next;
  }
}

absl::Status NodeJob::LocalStall(uint64_t sequence, int* missing_rank) const {
  auto arrived = first_arrival_.find(sequence);
  auto parts = pending_.find(sequence);
  if (arrived == first_arrival_.end() || parts == pending_.end()) return absl::OkStatus();
  const absl::Duration waited = absl::Now() - arrived->second;
  if (waited < options_.config.timeout) return absl::OkStatus();
  std::vector<std::string> missing, called;
  std::string what;
  for (int l = 0; l < local_size(); ++l) {
    const auto& part = parts->second[l];
    const RankSession* session = sessions_[l].get();
    const std::string pid =
        session != nullptr ? absl::StrCat(" (pid ", session->pid, ")") : std::string();
    if (part) {
      called.push_back(absl::StrCat(first_rank() + l));
      what = engine::DescribeSignature(engine::SignatureOf(*part));
    } else {
      if (missing.empty()) *missing_rank = first_rank() + l;
      missing.push_back(absl::StrCat(first_rank() + l, pid));
    }
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "op #", sequence, " timed out: rank ", absl::StrJoin(missing, ", rank "), " on node ",
      options_.node_rank, " did not call it within ", absl::ToInt64Milliseconds(waited),
      " ms (stopped, hung or calling something else) while rank ", absl::StrJoin(called, ", rank "),
      " called ", what));
}

absl::Status NodeJob::CheckLocalCall(const std::vector<OpDescriptor>& parts,
                                     engine::CollectiveCall* call) {
  const OpDescriptor& first = parts[0];
  const bool reduction = submission::IsReduction(first.kind);
  std::vector<engine::CallSignature> signatures;
  for (const OpDescriptor& d : parts) signatures.push_back(engine::SignatureOf(d));
  if (absl::Status s = engine::CompareSignatures(signatures, first_rank(), first.sequence);
      !s.ok()) {
    return s;
  }
  if (submission::IsPointToPoint(first.kind) || first.kind == OpKind::kFinalize ||
      first.kind < OpKind::kAllReduce || first.kind > OpKind::kRecv) {
    return absl::InvalidArgumentError(
        absl::StrCat("operation kind ", static_cast<uint32_t>(first.kind),
                     " is not a collective the node engine runs"));
  }
  if (!collectives::IsValidDataType(first.dtype) ||
      (reduction && !collectives::IsValidRedOp(first.op))) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid dtype ", first.dtype, " or op ", first.op));
  }
  call->dtype = static_cast<collectives::DataType>(first.dtype);
  call->op = reduction ? static_cast<collectives::RedOp>(first.op) : collectives::RedOp::kSum;
  const int world = options_.job.nodes() * local_size();
  absl::MutexLock lock(&mu_);
  for (size_t l = 0; l < parts.size(); ++l) {
    if (absl::Status s = AddChip(*sessions_[l], parts[l], world, call); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status NodeJob::Execute(const std::vector<OpDescriptor>& parts, bool* links_clean) {
  const OpDescriptor& first = parts[0];
  engine::CollectiveCall call;
  call.kind = first.kind;
  call.count = first.count;
  call.root = first.root_or_peer;
  const absl::Status local = CheckLocalCall(parts, &call);
  if (!engine_) return absl::FailedPreconditionError("the node engine is not connected");
  if (!local.ok()) call.inputs.assign(local_size(), nullptr);
  // The agreement tells the other nodes what each local rank called, so a disagreement among them
  // is named the same way everywhere.
  std::vector<engine::CallSignature> chip_calls;
  for (const OpDescriptor& d : parts) chip_calls.push_back(engine::SignatureOf(d));
  engine::AgreedRun run;
  run.sequence = first.sequence;
  run.chip_calls = chip_calls;
  run.algorithm = options_.config.algorithm;
  run.check_calls = options_.config.check_calls;
  run.has_peers = options_.job.nodes() > 1;
  run.links = transport_.get();
  run.chips_per_node = local_size();
  run.report_window = engine::TimeoutReportWindow(options_.config.timeout);
  return engine::RunAgreedCollective(*engine_, call, local, run,
                                     absl::Now() + options_.config.timeout, links_clean);
}

absl::Status NodeJob::AddChip(const RankSession& session, const OpDescriptor& d, int world,
                              engine::CollectiveCall* call) {
  submission::Operation op;
  op.kind = d.kind;
  op.count = d.count;
  op.dtype = call->dtype;
  op.op = call->op;
  op.root_or_peer = d.root_or_peer;
  if (d.kind == OpKind::kAllToAllv) {
    const size_t n = static_cast<size_t>(world);
    auto aux = session.ArenaRange(d.aux_offset, 4 * n * sizeof(uint64_t), "all-to-allv counts");
    if (!aux.ok()) return aux.status();
    const uint64_t* arrays = reinterpret_cast<const uint64_t*>(*aux);
    op.send_counts.assign(arrays, arrays + n);
    op.send_displs.assign(arrays + n, arrays + 2 * n);
    op.recv_counts.assign(arrays + 2 * n, arrays + 3 * n);
    op.recv_displs.assign(arrays + 3 * n, arrays + 4 * n);
    // The engine reads the arrays in the arena; uint64_t and size_t agree on this platform.
    static_assert(sizeof(size_t) == sizeof(uint64_t));
    call->send_counts.push_back(reinterpret_cast<const size_t*>(arrays));
    call->send_displs.push_back(reinterpret_cast<const size_t*>(arrays + n));
    call->recv_counts.push_back(reinterpret_cast<const size_t*>(arrays + 2 * n));
    call->recv_displs.push_back(reinterpret_cast<const size_t*>(arrays + 3 * n));
  }
  // The rank checked its call before submitting it, but the daemon trusts no offset it did not
  // check itself: every range must lie inside that rank's arena.
  op.send = op.recv = nullptr;
  const submission::Extents extents = submission::BufferExtents(op, session.rank, world);
  const size_t element = collectives::DataTypeSize(call->dtype);
  const size_t arena_elements = session.arena.size() / element;
  if (extents.send > arena_elements || extents.recv > arena_elements) {
    return absl::InvalidArgumentError(absl::StrCat("rank ", session.rank, ": ", DescribeDescriptor(d),
                                                   " spans more than its arena"));
  }
  const void* input = nullptr;
  void* output = nullptr;
  if (d.send_offset != submission::kNoBuffer) {
    auto in = session.ArenaRange(d.send_offset, extents.send * element, "send buffer");
    if (!in.ok()) return in.status();
    input = *in;
  }
  if (d.recv_offset != submission::kNoBuffer) {
    auto out = session.ArenaRange(d.recv_offset, extents.recv * element, "recv buffer");
    if (!out.ok()) return out.status();
    output = *out;
  }
  call->inputs.push_back(input);
  call->outputs.push_back(output);
  return absl::OkStatus();
}

}  // namespace ultracc::daemon
