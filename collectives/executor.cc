// Executes schedules: posts each round's slices, reduces received slices as they land, waits with
// the deadline, and names the failing step when something goes wrong.
#include "collectives/executor.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "collectives/reduce_kernels.h"

namespace ultracc::collectives {

struct Executor::Abandoned {
  std::deque<transport::Request> requests;
  HugeBuffer staging;
  HugeBuffer scratch;
};

struct Executor::RunState {
  const Schedule& schedule;
  const ExecBuffers& buffers;
  RedOp op;
  uint64_t tag_base;
  absl::Time deadline;
  size_t element_bytes;
  size_t slice_elements;
  char* scratch;

  char* Resolve(const BufferRef& ref) const {
    char* base = ref.buffer == BufferId::kInput    ? static_cast<char*>(buffers.input)
                 : ref.buffer == BufferId::kOutput ? static_cast<char*>(buffers.output)
                                                   : scratch;
    return base + ref.offset * element_bytes;
  }
  size_t NumSlices(size_t count) const {
    return count == 0 ? 1 : (count + slice_elements - 1) / slice_elements;
  }
  size_t SliceElements(size_t count, size_t slice) const {
    return std::min(slice_elements, count - std::min(count, slice * slice_elements));
  }
  size_t SliceBytes() const { return slice_elements * element_bytes; }
};

// One transfer step of the current round and its requests, which are contiguous in requests_:
// one per slice for sends and receives, one per window slot for receive-reduces.
struct Executor::Transfer {
  size_t step_index = 0;
  const Step* step = nullptr;
  uint64_t tag = 0;
  char* data = nullptr;     // where the step reads (send) or writes (receives)
  char* staging = nullptr;  // receive-reduce window
  size_t slices = 0;
  size_t slots = 0;
  size_t first_request = 0;
  size_t posted = 0;
  size_t done = 0;
};

namespace {

absl::Status StepError(const Schedule& schedule, size_t step_index, uint64_t tag, size_t slice,
                       size_t slices, const absl::Status& cause) {
  const Step& step = schedule.steps[step_index];
  return absl::Status(
      cause.code(),
      absl::StrFormat("rank %d: schedule step %d (round %d, %s of %d elements %s peer %d, tag "
                      "%#x, slice %d of %d) failed: %s",
                      schedule.rank, step_index, step.round, StepKindName(step.kind), step.count,
                      step.kind == StepKind::kSend ? "to" : "from", step.peer, tag, slice + 1,
                      slices, cause.message()));
}

}  // namespace

Executor::Executor(transport::Transport* transport, ExecutorOptions options)
    : transport_(transport), options_([&] {
        options.slice_bytes = std::max<size_t>(options.slice_bytes, 1);
        options.recv_reduce_window = std::max(options.recv_reduce_window, 1);
        return options;
      }()) {}

Executor::~Executor() = default;

transport::Request* Executor::NextRequest() {
  if (requests_used_ < requests_.size()) {
    transport::Request* request = &requests_[requests_used_++];
    request->Reset();
    return request;
  }
  ++requests_used_;
  return &requests_.emplace_back();
}

char* Executor::Staging(size_t bytes) { return staging_.Reserve(bytes); }

char* Executor::Scratch(size_t bytes) { return scratch_.Reserve(bytes); }

void Executor::AbandonInFlight() {
  auto abandoned = std::make_unique<Abandoned>();
  abandoned->requests = std::move(requests_);
  abandoned->staging = std::move(staging_);
  abandoned->scratch = std::move(scratch_);
  abandoned_.push_back(std::move(abandoned));
  requests_.clear();
  requests_used_ = 0;
}

absl::Status Executor::Run(const Schedule& schedule, const ExecBuffers& buffers, RedOp op,
                           uint64_t tag_base, absl::Time deadline, size_t slice_bytes) {
  if (absl::Status s = ValidateSchedule(schedule); !s.ok()) return s;
  const int rank = schedule.rank;
  if (!IsValidDataType(static_cast<int>(buffers.dtype))) {
    return absl::InvalidArgumentError(absl::StrFormat("rank %d: executor got invalid dtype %d",
                                                      rank, static_cast<int>(buffers.dtype)));
  }
  if (!IsValidRedOp(static_cast<int>(op))) {
    return absl::InvalidArgumentError(
        absl::StrFormat("rank %d: executor got invalid op %d", rank, static_cast<int>(op)));
  }
  if ((tag_base & ((uint64_t{1} << kExecutorTagBits) - 1)) != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "rank %d: tag_base %#x has bits below bit %d set", rank, tag_base, kExecutorTagBits));
  }
  if (schedule.NumRounds() > (1 << kTagRoundBits)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "rank %d: schedule has %d rounds; tags hold at most %d", rank, schedule.NumRounds(),
        1 << kTagRoundBits));
  }
  const bool has_transfers = std::any_of(schedule.steps.begin(), schedule.steps.end(),
                                         [](const Step& step) { return step.IsTransfer(); });
  if (has_transfers) {
    if (transport_ == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrFormat("rank %d: schedule has transfers but the executor has no transport", rank));
    }
    if (transport_->Rank() != rank || transport_->Size() != schedule.size) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "schedule is for rank %d of %d but the %s transport is rank %d of %d", rank,
          schedule.size, transport_->Name(), transport_->Rank(), transport_->Size()));
    }
  }
  if ((schedule.input_elements > 0 && buffers.input == nullptr) ||
      (schedule.output_elements > 0 && buffers.output == nullptr)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "rank %d: schedule needs %d input and %d output elements but input=%p output=%p", rank,
        schedule.input_elements, schedule.output_elements, buffers.input, buffers.output));
  }
  for (size_t i = 0; i < schedule.steps.size(); ++i) {
    if (schedule.steps[i].WritesDst() && schedule.steps[i].dst.buffer == BufferId::kInput) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "rank %d: schedule step %d writes the input buffer, which is read-only", rank, i));
    }
  }

  const size_t element_bytes = DataTypeSize(buffers.dtype);
  RunState run{.schedule = schedule,
               .buffers = buffers,
               .op = op,
               .tag_base = tag_base,
               .deadline = deadline,
               .element_bytes = element_bytes,
               .slice_elements = std::max<size_t>(
                   1, (slice_bytes > 0 ? slice_bytes : options_.slice_bytes) / element_bytes),
               .scratch = Scratch(schedule.scratch_elements * element_bytes)};
  for (size_t begin = 0; begin < schedule.steps.size();) {
    size_t end = begin;
    while (end < schedule.steps.size() && schedule.steps[end].round == schedule.steps[begin].round) {
      ++end;
    }
    if (absl::Status s = RunRound(run, begin, end); !s.ok()) {
      AbandonInFlight();
      return s;
    }
    begin = end;
  }
  return absl::OkStatus();
}

absl::Status Executor::RunRound(RunState& run, size_t begin, size_t end) {
  const Schedule& schedule = run.schedule;
  const size_t slice_bytes = run.SliceBytes();
  requests_used_ = 0;

  // Tags and slicing of every transfer, and the staging the receive-reduces need.
  std::vector<Transfer> transfers;
  absl::flat_hash_map<int, int> sends_to, recvs_from;
  size_t staging_bytes = 0;
  for (size_t i = begin; i < end; ++i) {
    const Step& step = schedule.steps[i];
    if (!step.IsTransfer()) continue;
    int& ordinal = (step.kind == StepKind::kSend ? sends_to : recvs_from)[step.peer];
    if (ordinal >= (1 << kTagOrdinalBits)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "rank %d: round %d has more than %d messages between this rank and peer %d",
          schedule.rank, step.round, 1 << kTagOrdinalBits, step.peer));
    }
    Transfer& t = transfers.emplace_back();
    t.step_index = i;
    t.step = &step;
    t.tag = MessageTag(run.tag_base, step.round, ordinal++);
    t.data = run.Resolve(step.kind == StepKind::kSend ? step.src : step.dst);
    t.slices = run.NumSlices(step.count);
    if (step.kind == StepKind::kRecvReduce) {
      t.slots = std::min<size_t>(t.slices, options_.recv_reduce_window);
      staging_bytes += t.slots * slice_bytes;
    }
  }

  // Receives first, so that data lands in place instead of in the transport's unexpected queue.
  char* staging = Staging(staging_bytes);
  for (int pass = 0; pass < 2; ++pass) {
    for (Transfer& t : transfers) {
      const bool is_send = t.step->kind == StepKind::kSend;
      if (is_send != (pass == 1)) continue;
      t.first_request = requests_used_;
      if (t.step->kind == StepKind::kRecvReduce) {
        t.staging = staging;
        staging += t.slots * slice_bytes;
      }
      t.posted = t.slots > 0 ? t.slots : t.slices;
      for (size_t k = 0; k < t.posted; ++k) {
        transport::Request* request = NextRequest();
        const size_t bytes = run.SliceElements(t.step->count, k) * run.element_bytes;
        if (is_send) {
          transport_->PostSend(t.step->peer, t.tag, t.data + k * slice_bytes, bytes, request);
        } else {
          char* into = t.staging != nullptr ? t.staging + k * slice_bytes : t.data + k * slice_bytes;
          transport_->PostRecv(t.step->peer, t.tag, into, bytes, request);
        }
      }
    }
  }

  // Local steps overlap the transfers (a round's steps touch disjoint elements).
  for (size_t i = begin; i < end; ++i) {
    const Step& step = schedule.steps[i];
    if (step.kind == StepKind::kCopy) {
      std::memmove(run.Resolve(step.dst), run.Resolve(step.src), step.count * run.element_bytes);
    } else if (step.kind == StepKind::kReduce) {
      ReduceInto(run.buffers.dtype, run.op, run.Resolve(step.dst), run.Resolve(step.src),
                 step.count);
    }
  }

  if (absl::Status s = DrainRecvReduces(run, transfers); !s.ok()) return s;
  for (const Transfer& t : transfers) {
    if (t.step->kind == StepKind::kRecvReduce) continue;
    for (size_t k = 0; k < t.slices; ++k) {
      absl::Status s = requests_[t.first_request + k].Wait(run.deadline);
      if (!s.ok()) return StepError(schedule, t.step_index, t.tag, k, t.slices, s);
    }
  }
  return absl::OkStatus();
}

// Reduces each receive-reduce slice as soon as it lands and reposts its window slot, polling all
// receive-reduces of the round so one slow peer does not hold up the others' reductions.
absl::Status Executor::DrainRecvReduces(RunState& run, std::vector<Transfer>& transfers) {
  const size_t slice_bytes = run.SliceBytes();
  for (;;) {
    Transfer* blocked = nullptr;
    bool progressed = false;
    for (Transfer& t : transfers) {
      if (t.step->kind != StepKind::kRecvReduce) continue;
      while (t.done < t.slices) {
        const size_t slot = t.done % t.slots;
        transport::Request& request = requests_[t.first_request + slot];
        if (!request.IsDone()) {
          if (blocked == nullptr) blocked = &t;
          break;
        }
        if (!request.status().ok()) {
          return StepError(run.schedule, t.step_index, t.tag, t.done, t.slices, request.status());
        }
        ReduceInto(run.buffers.dtype, run.op, t.data + t.done * slice_bytes,
                   t.staging + slot * slice_bytes, run.SliceElements(t.step->count, t.done));
        ++t.done;
        progressed = true;
        if (t.posted < t.slices) {
          request.Reset();
          transport_->PostRecv(t.step->peer, t.tag, t.staging + slot * slice_bytes,
                               run.SliceElements(t.step->count, t.posted) * run.element_bytes,
                               &request);
          ++t.posted;
        }
      }
    }
    if (blocked == nullptr) return absl::OkStatus();
    if (!progressed) {
      const size_t slot = blocked->done % blocked->slots;
      absl::Status s = requests_[blocked->first_request + slot].Wait(run.deadline);
      if (!s.ok()) {
        return StepError(run.schedule, blocked->step_index, blocked->tag, blocked->done,
                         blocked->slices, s);
      }
    }
  }
}

}  // namespace ultracc::collectives
