// Hierarchical all-reduce; see hierarchical.h.
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

}  // namespace

absl::StatusOr<Schedule> HierarchicalAllReduce(int rank, int size, int group_size, size_t count,
                                               Algorithm outer) {
  if (size < 1 || rank < 0 || rank >= size) {
    return absl::InvalidArgumentError(absl::StrFormat("rank %d of %d", rank, size));
  }
  if (group_size < 1 || size % group_size != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("group size %d does not divide the %d members", group_size, size));
  }
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
