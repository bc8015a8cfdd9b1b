// Hierarchical schedules for members in equal groups behind their own links: the nodes of an
// UltraServer behind its NeuronSwitch, the UltraServers joined by the cluster network (EFA). Each
// level's traffic crosses only its own links, and the slow outer level carries 1/group_size of the
// data: member m sits in group m / group_size at position m % group_size.
//
// All-reduce of `count` elements in place in kOutput:
//   1. direct reduce-scatter inside the group over group_size near-equal chunks (one switch hop);
//   2. all-reduce of chunk p across the groups, among the members at position p, by `outer` (ring
//      or recursive halving-doubling over the cluster network);
//   3. direct all-gather of the chunks inside the group.
// Roundings per element: (group_size - 1) folds in 1, and those of `outer` over the groups in 2:
// at most size - 1, as for the flat algorithms.
#pragma once

#include <cstddef>

#include "absl/status/statusor.h"
#include "collectives/algorithm.h"
#include "collectives/schedule.h"

namespace ultracc::collectives {

// InvalidArgument when group_size does not divide size, or `outer` does not implement all-reduce.
// With one group it is the direct all-reduce; with groups of one, `outer` over everyone.
absl::StatusOr<Schedule> HierarchicalAllReduce(int rank, int size, int group_size, size_t count,
                                               Algorithm outer);

// Reduce-scatter of `block_count` elements per member, in place in kOutput (member m's result in
// block m), inner level first:
//   1. direct inside the group: the member at position p collects its group's sum of every block
//      that belongs to a position-p member, from each group peer at once;
//   2. reduce-scatter of those blocks across the groups, among the members at position p, by
//      `outer` (ring or direct), so the cluster network carries 1/group_size of the data.
// All-gather, in place in kOutput (member m's block m given), outer level first: the members at
// each position gather their blocks across the groups by `outer`, then hand them to every group
// peer at once. InvalidArgument as above, or when `outer` is not ring or direct (the schedules
// whose messages are whole blocks, which step 2 places at strided offsets).
absl::StatusOr<Schedule> HierarchicalReduceScatter(int rank, int size, int group_size,
                                                   size_t block_count, Algorithm outer);
absl::StatusOr<Schedule> HierarchicalAllGather(int rank, int size, int group_size,
                                               size_t block_count, Algorithm outer);

}  // namespace ultracc::collectives
