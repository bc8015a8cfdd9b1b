// The schedule of one collective under a chosen algorithm: the single switch from (collective,
// Algorithm) to the generator that implements it, so engines and the simulator pick schedules the
// same way. Buffer conventions are the generators': reductions and gathers work in place in
// kOutput, all-to-alls read kInput and write a distinct kOutput.
#pragma once

#include <cstddef>

#include "absl/status/statusor.h"
#include "collectives/algorithm.h"
#include "collectives/all_to_all_layout.h"
#include "collectives/ring.h"
#include "collectives/schedule.h"

namespace ultracc::collectives {

// Each fails with InvalidArgument when `algorithm` is kAuto or does not implement the collective
// (resolve it with ChooseAlgorithm first), or when rank/size/root are out of range.
// `group_size`: members per group for kHierarchical (it must divide `size`; 1: no groups).
// `ring_order`: where members sit on kRing's ring (ring.h; InvalidArgument when it does not fit
// `size`).
absl::StatusOr<Schedule> AllReduceSchedule(Algorithm algorithm, int rank, int size, size_t count,
                                           int group_size = 1, const RingOrder& ring_order = {});
absl::StatusOr<Schedule> ReduceScatterSchedule(Algorithm algorithm, int rank, int size,
                                               size_t block_count, int group_size = 1,
                                               const RingOrder& ring_order = {});
absl::StatusOr<Schedule> AllGatherSchedule(Algorithm algorithm, int rank, int size,
                                           size_t block_count, int group_size = 1,
                                           const RingOrder& ring_order = {});
// Uniform all-to-all (`count` per peer) and all-to-allv.
absl::StatusOr<Schedule> AllToAllSchedule(Algorithm algorithm, int rank, int size, size_t count);
absl::StatusOr<Schedule> AllToAllvSchedule(Algorithm algorithm, int rank, int size,
                                           const AllToAllLayout& layout);
absl::StatusOr<Schedule> BroadcastSchedule(Algorithm algorithm, int rank, int size, int root,
                                           size_t count);
absl::StatusOr<Schedule> ReduceSchedule(Algorithm algorithm, int rank, int size, int root,
                                        size_t count);

}  // namespace ultracc::collectives
