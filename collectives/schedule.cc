// Step constructors, validation and printing of schedules.
#include "collectives/schedule.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ultracc::collectives {

namespace {

Step MakeStep(StepKind kind, int round, int peer, BufferRef src, BufferRef dst, size_t count) {
  Step step;
  step.kind = kind;
  step.round = round;
  step.peer = peer;
  step.src = src;
  step.dst = dst;
  step.count = count;
  return step;
}

}  // namespace

Step Step::Send(int round, int peer, BufferRef src, size_t count) {
  return MakeStep(StepKind::kSend, round, peer, src, BufferRef{}, count);
}
Step Step::Recv(int round, int peer, BufferRef dst, size_t count) {
  return MakeStep(StepKind::kRecv, round, peer, BufferRef{}, dst, count);
}
Step Step::RecvReduce(int round, int peer, BufferRef dst, size_t count) {
  return MakeStep(StepKind::kRecvReduce, round, peer, BufferRef{}, dst, count);
}
Step Step::Copy(int round, BufferRef src, BufferRef dst, size_t count) {
  return MakeStep(StepKind::kCopy, round, -1, src, dst, count);
}
Step Step::Reduce(int round, BufferRef src, BufferRef dst, size_t count) {
  return MakeStep(StepKind::kReduce, round, -1, src, dst, count);
}

absl::string_view StepKindName(StepKind kind) {
  switch (kind) {
    case StepKind::kSend:
      return "send";
    case StepKind::kRecv:
      return "recv";
    case StepKind::kRecvReduce:
      return "recv-reduce";
    case StepKind::kCopy:
      return "copy";
    case StepKind::kReduce:
      return "reduce";
  }
  return "invalid";
}

absl::string_view BufferName(BufferId buffer) {
  switch (buffer) {
    case BufferId::kInput:
      return "input";
    case BufferId::kOutput:
      return "output";
    case BufferId::kScratch:
      return "scratch";
  }
  return "invalid";
}

void AppendShifted(const Schedule& part, int round_offset, Schedule* schedule) {
  schedule->input_elements = std::max(schedule->input_elements, part.input_elements);
  schedule->output_elements = std::max(schedule->output_elements, part.output_elements);
  schedule->scratch_elements = std::max(schedule->scratch_elements, part.scratch_elements);
  for (Step step : part.steps) {
    step.round += round_offset;
    schedule->steps.push_back(step);
  }
}

int Schedule::NumRounds() const { return steps.empty() ? 0 : steps.back().round + 1; }

namespace {

std::string RangeString(const BufferRef& ref, size_t count) {
  return absl::StrFormat("%s[%d, %d)", BufferName(ref.buffer), ref.offset, ref.offset + count);
}

size_t Extent(const Schedule& schedule, BufferId buffer) {
  switch (buffer) {
    case BufferId::kInput:
      return schedule.input_elements;
    case BufferId::kOutput:
      return schedule.output_elements;
    case BufferId::kScratch:
      return schedule.scratch_elements;
  }
  return 0;
}

std::string StepString(const Step& step) {
  switch (step.kind) {
    case StepKind::kSend:
      return absl::StrFormat("send %s to %d", RangeString(step.src, step.count), step.peer);
    case StepKind::kRecv:
    case StepKind::kRecvReduce:
      return absl::StrFormat("%s %s from %d", StepKindName(step.kind),
                             RangeString(step.dst, step.count), step.peer);
    case StepKind::kCopy:
    case StepKind::kReduce:
      return absl::StrFormat("%s %s into %s", StepKindName(step.kind),
                             RangeString(step.src, step.count), RangeString(step.dst, step.count));
  }
  return "invalid step";
}

absl::Status CheckRange(const Schedule& schedule, size_t index, const BufferRef& ref,
                        size_t count) {
  const size_t extent = Extent(schedule, ref.buffer);
  if (ref.offset > extent || count > extent - ref.offset) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "rank %d: schedule step %d (%s) exceeds the %s extent of %d elements", schedule.rank, index,
        StepString(schedule.steps[index]), BufferName(ref.buffer), extent));
  }
  return absl::OkStatus();
}

}  // namespace

std::string Schedule::DebugString() const {
  std::string out = absl::StrFormat(
      "schedule of rank %d of %d (input %d, output %d, scratch %d elements), %d steps in %d "
      "rounds\n",
      rank, size, input_elements, output_elements, scratch_elements, steps.size(), NumRounds());
  for (const Step& step : steps)
    absl::StrAppend(&out, "  round ", step.round, ": ", StepString(step), "\n");
  return out;
}

absl::Status ValidateSchedule(const Schedule& schedule) {
  if (schedule.size < 1 || schedule.rank < 0 || schedule.rank >= schedule.size) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "schedule has rank %d and size %d; need 0 <= rank < size", schedule.rank, schedule.size));
  }
  int previous_round = 0;
  for (size_t i = 0; i < schedule.steps.size(); ++i) {
    const Step& step = schedule.steps[i];
    if (step.round < previous_round) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "rank %d: schedule step %d is in round %d after a step of round %d; rounds must ascend",
          schedule.rank, i, step.round, previous_round));
    }
    previous_round = step.round;
    const bool transfer = step.IsTransfer();
    if (transfer && (step.peer < 0 || step.peer >= schedule.size || step.peer == schedule.rank)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "rank %d: schedule step %d (%s) has peer %d; need another rank in [0, %d)", schedule.rank,
          i, StepKindName(step.kind), step.peer, schedule.size));
    }
    if (!transfer && step.peer != -1) {
      return absl::InvalidArgumentError(
          absl::StrFormat("rank %d: local schedule step %d (%s) has peer %d; need -1",
                          schedule.rank, i, StepKindName(step.kind), step.peer));
    }
    if (step.ReadsSrc()) {
      if (absl::Status s = CheckRange(schedule, i, step.src, step.count); !s.ok()) return s;
    }
    if (step.WritesDst()) {
      if (absl::Status s = CheckRange(schedule, i, step.dst, step.count); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace ultracc::collectives
