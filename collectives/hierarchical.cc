// Hierarchical all-reduce, reduce-scatter and all-gather; see hierarchical.h.
#include "collectives/hierarchical.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_format.h"
#include "collectives/collective_schedule.h"
#include "collectives/direct.h"
#include "collectives/ring.h"

namespace ultracc::collectives {
namespace {

// `part`'s steps for a subgroup, with its ranks mapped to members by `member_of`, its kInput and
// kOutput offsets moved by `offset`, and its rounds by `round_offset`.
template <typename MemberOf>
void AppendMapped(const Schedule& part, MemberOf member_of, size_t offset, int round_offset,
                  Schedule* schedule) {
  auto move = [&](BufferRef ref) {
    if (ref.buffer != BufferId::kScratch) ref.offset += offset;
    return ref;
  };
  for (Step step : part.steps) {
    step.round += round_offset;
    if (step.peer >= 0) step.peer = member_of(step.peer);
    step.src = move(step.src);
    step.dst = move(step.dst);
    schedule->steps.push_back(step);
  }
  schedule->scratch_elements = std::max(schedule->scratch_elements, part.scratch_elements);
}

absl::Status CheckShape(int rank, int size, int group_size) {
  if (size < 1 || rank < 0 || rank >= size) {
    return absl::InvalidArgumentError(absl::StrFormat("rank %d of %d", rank, size));
  }
  if (group_size < 1 || size % group_size != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("group size %d does not divide the %d members", group_size, size));
  }
  return absl::OkStatus();
}

// One member's place: member = group * group_size + position.
struct Place {
  int size, group_size, groups, group, position;
  Place(int rank, int size, int group_size)
      : size(size),
        group_size(group_size),
        groups(size / group_size),
        group(rank / group_size),
        position(rank % group_size) {}
  int Member(int group_of, int position_of) const { return group_of * group_size + position_of; }
  // The member's block in kOutput, blocks of `block_count` elements.
  BufferRef Block(int group_of, int position_of, size_t block_count) const {
    return {BufferId::kOutput, static_cast<size_t>(Member(group_of, position_of)) * block_count};
  }
};

// The steps of `outer`'s reduce-scatter or all-gather among the members at this member's position,
// one per group: the sub-schedule's block h is block h * group_size + position, its scratch comes
// after `scratch_offset`, its rounds start at `round_offset`. Its messages must be whole blocks.
absl::Status AppendAcrossGroups(const Schedule& part, const Place& at, size_t block_count,
                                size_t scratch_offset, int round_offset, Schedule* schedule) {
  for (Step step : part.steps) {
    for (BufferRef* ref : {&step.src, &step.dst}) {
      if (ref->buffer == BufferId::kScratch) {
        ref->offset += scratch_offset;
        continue;
      }
      const size_t block = ref->offset / block_count, within = ref->offset % block_count;
      const bool used = ref == &step.src ? step.ReadsSrc() : step.WritesDst();
      if (used && within + step.count > block_count) {
        return absl::InternalError("an outer schedule's message spans several blocks");
      }
      ref->offset =
          static_cast<size_t>(at.Member(static_cast<int>(block), at.position)) * block_count +
          within;
    }
    step.round += round_offset;
    if (step.peer >= 0) step.peer = at.Member(step.peer, at.position);
    schedule->steps.push_back(step);
  }
  schedule->scratch_elements =
      std::max(schedule->scratch_elements, scratch_offset + part.scratch_elements);
  return absl::OkStatus();
}

Schedule EmptyBlocks(int rank, int size, size_t block_count) {
  Schedule schedule;
  schedule.rank = rank;
  schedule.size = size;
  schedule.input_elements = static_cast<size_t>(size) * block_count;
  schedule.output_elements = schedule.input_elements;
  return schedule;
}

absl::Status CheckOuter(Algorithm outer) {
  if (outer == Algorithm::kRing || outer == Algorithm::kDirect) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrFormat(
      "the hierarchical reduce-scatter and all-gather run ring or direct across groups, not %s",
      AlgorithmName(outer)));
}

}  // namespace

absl::StatusOr<Schedule> HierarchicalReduceScatter(int rank, int size, int group_size,
                                                   size_t block_count, Algorithm outer) {
  if (absl::Status s = CheckShape(rank, size, group_size); !s.ok()) return s;
  if (absl::Status s = CheckOuter(outer); !s.ok()) return s;
  Schedule schedule = EmptyBlocks(rank, size, block_count);
  if (size == 1 || block_count == 0) return schedule;
  const Place at(rank, size, group_size);
  const size_t b = block_count, groups = static_cast<size_t>(at.groups);
  int next_round = 0;
  if (group_size > 1) {
    // Each group peer's share goes in one round; what comes back lands in scratch, one area per
    // peer, and is folded in one peer per round (folds into one block must not share a round).
    for (int s = 1; s < group_size; ++s) {
      const int to = (at.position + s) % group_size;
      for (int h = 0; h < at.groups; ++h) {
        schedule.steps.push_back(Step::Send(0, at.Member(at.group, to), at.Block(h, to, b), b));
      }
    }
    for (int s = 1; s < group_size; ++s) {
      const int from = (at.position + s) % group_size;
      for (size_t h = 0; h < groups; ++h) {
        schedule.steps.push_back(Step::Recv(0, at.Member(at.group, from),
                                            {BufferId::kScratch, ((s - 1) * groups + h) * b}, b));
      }
    }
    for (int s = 1; s < group_size; ++s) {
      for (size_t h = 0; h < groups; ++h) {
        schedule.steps.push_back(Step::Reduce(s, {BufferId::kScratch, ((s - 1) * groups + h) * b},
                                              at.Block(static_cast<int>(h), at.position, b), b));
      }
    }
    schedule.scratch_elements = (group_size - 1) * groups * b;
    next_round = group_size;
  }
  if (at.groups > 1) {
    absl::StatusOr<Schedule> across = ReduceScatterSchedule(outer, at.group, at.groups, b);
    if (!across.ok()) return across.status();
    if (absl::Status s =
            AppendAcrossGroups(*across, at, b, schedule.scratch_elements, next_round, &schedule);
        !s.ok()) {
      return s;
    }
  }
  return schedule;
}

absl::StatusOr<Schedule> HierarchicalAllGather(int rank, int size, int group_size,
                                               size_t block_count, Algorithm outer) {
  if (absl::Status s = CheckShape(rank, size, group_size); !s.ok()) return s;
  if (absl::Status s = CheckOuter(outer); !s.ok()) return s;
  Schedule schedule = EmptyBlocks(rank, size, block_count);
  if (size == 1 || block_count == 0) return schedule;
  const Place at(rank, size, group_size);
  const size_t b = block_count;
  int next_round = 0;
  if (at.groups > 1) {
    absl::StatusOr<Schedule> across = AllGatherSchedule(outer, at.group, at.groups, b);
    if (!across.ok()) return across.status();
    if (absl::Status s = AppendAcrossGroups(*across, at, b, 0, 0, &schedule); !s.ok()) return s;
    next_round = across->NumRounds();
  }
  if (group_size > 1) {
    // Every block of this position to every group peer at once, and theirs back.
    for (int s = 1; s < group_size; ++s) {
      const int to = (at.position + s) % group_size;
      for (int h = 0; h < at.groups; ++h) {
        schedule.steps.push_back(
            Step::Send(next_round, at.Member(at.group, to), at.Block(h, at.position, b), b));
      }
    }
    for (int s = 1; s < group_size; ++s) {
      const int from = (at.position + s) % group_size;
      for (int h = 0; h < at.groups; ++h) {
        schedule.steps.push_back(
            Step::Recv(next_round, at.Member(at.group, from), at.Block(h, from, b), b));
      }
    }
  }
  return schedule;
}

absl::StatusOr<Schedule> HierarchicalAllReduce(int rank, int size, int group_size, size_t count,
                                               Algorithm outer) {
  if (absl::Status s = CheckShape(rank, size, group_size); !s.ok()) return s;
  const int groups = size / group_size;
  const int group = rank / group_size, position = rank % group_size;
  Schedule schedule;
  schedule.rank = rank;
  schedule.size = size;
  schedule.output_elements = count;
  if (size == 1 || count == 0) return schedule;

  // Phase 1 and 3: the direct all-reduce inside the group, whose last round is its all-gather.
  const Schedule inner = DirectAllReduce(position, group_size, count);
  const int gather_round = inner.NumRounds() - 1;
  auto in_group = [&](int q) { return group * group_size + q; };
  Schedule reduce_part, gather_part;
  for (const Step& step : inner.steps) {
    (step.round < gather_round ? reduce_part : gather_part).steps.push_back(step);
  }
  reduce_part.scratch_elements = inner.scratch_elements;
  AppendMapped(reduce_part, in_group, 0, 0, &schedule);

  // Phase 2: every position's chunk across the groups. Members at other positions run the same
  // generator on chunks at most one element longer; all leave the same rounds to it, the most any
  // position needs, so the all-gather starts in the same round everywhere.
  int outer_rounds = 0;
  Schedule across;
  for (int p = 0; p < group_size; ++p) {
    const ElementRange chunk = BalancedChunk(count, group_size, p);
    absl::StatusOr<Schedule> s = AllReduceSchedule(outer, group, groups, chunk.count);
    if (!s.ok()) return s.status();
    outer_rounds = std::max(outer_rounds, s->NumRounds());
    if (p == position) across = *std::move(s);
  }
  const int outer_start = group_size > 1 ? gather_round : 0;
  const ElementRange mine = BalancedChunk(count, group_size, position);
  AppendMapped(
      across, [&](int h) { return h * group_size + position; }, mine.offset, outer_start,
      &schedule);
  AppendMapped(gather_part, in_group, 0, outer_start + outer_rounds - gather_round, &schedule);
  return schedule;
}

}  // namespace ultracc::collectives
