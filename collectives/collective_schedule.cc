// Dispatch from (collective, algorithm) to schedule generators.
#include "collectives/collective_schedule.h"

#include "absl/strings/str_format.h"
#include "collectives/binomial_tree.h"
#include "collectives/bruck_all_to_all.h"
#include "collectives/direct.h"
#include "collectives/halving_doubling.h"
#include "collectives/hierarchical.h"
#include "collectives/pairwise_all_to_all.h"
#include "collectives/ring.h"
#include "collectives/ring_all_gather.h"
#include "collectives/ring_reduce_scatter.h"
#include "collectives/tree_all_reduce.h"

namespace ultracc::collectives {
namespace {

absl::Status CheckRanks(CollectiveKind kind, int rank, int size, int root) {
  if (size < 1 || rank < 0 || rank >= size) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s schedule for rank %d of %d; need 0 <= rank < size",
                        CollectiveKindName(kind), rank, size));
  }
  if (root < 0 || root >= size) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s schedule with root %d; need 0 <= root < %d", CollectiveKindName(kind), root, size));
  }
  return absl::OkStatus();
}

absl::Status CheckOrder(CollectiveKind kind, int size, const RingOrder& order) {
  if (order.Fits(size)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrFormat("%s schedule of %d members with a ring order of %d", CollectiveKindName(kind),
                      size, order.members().size()));
}

absl::Status NotImplemented(CollectiveKind kind, Algorithm algorithm) {
  return absl::InvalidArgumentError(absl::StrFormat("algorithm \"%s\" does not implement %s",
                                                    AlgorithmName(algorithm),
                                                    CollectiveKindName(kind)));
}

}  // namespace

absl::StatusOr<Schedule> AllReduceSchedule(Algorithm algorithm, int rank, int size, size_t count,
                                           int group_size, const RingOrder& ring_order) {
  constexpr CollectiveKind kKind = CollectiveKind::kAllReduce;
  if (absl::Status s = CheckRanks(kKind, rank, size, 0); !s.ok()) return s;
  if (absl::Status s = CheckOrder(kKind, size, ring_order); !s.ok()) return s;
  switch (algorithm) {
    case Algorithm::kRing:
      return RingAllReduce(rank, size, count, ring_order);
    case Algorithm::kHalvingDoubling:
      return HalvingDoublingAllReduce(rank, size, count);
    case Algorithm::kTree:
      return TreeAllReduce(rank, size, count);
    case Algorithm::kDirect:
      return DirectAllReduce(rank, size, count);
    case Algorithm::kHierarchical:
      return HierarchicalAllReduce(rank, size, group_size, count, Algorithm::kRing);
    default:
      return NotImplemented(kKind, algorithm);
  }
}

absl::StatusOr<Schedule> ReduceScatterSchedule(Algorithm algorithm, int rank, int size,
                                               size_t block_count, int group_size,
                                               const RingOrder& ring_order) {
  constexpr CollectiveKind kKind = CollectiveKind::kReduceScatter;
  if (absl::Status s = CheckRanks(kKind, rank, size, 0); !s.ok()) return s;
  if (absl::Status s = CheckOrder(kKind, size, ring_order); !s.ok()) return s;
  switch (algorithm) {
    case Algorithm::kRing:
      return RingReduceScatter(rank, size, block_count, ring_order);
    case Algorithm::kHalvingDoubling:
      return HalvingDoublingReduceScatter(rank, size, block_count);
    case Algorithm::kDirect:
      return DirectReduceScatter(rank, size, block_count);
    case Algorithm::kHierarchical:
      return HierarchicalReduceScatter(rank, size, group_size, block_count, Algorithm::kRing);
    default:
      return NotImplemented(kKind, algorithm);
  }
}

absl::StatusOr<Schedule> AllGatherSchedule(Algorithm algorithm, int rank, int size,
                                           size_t block_count, int group_size,
                                           const RingOrder& ring_order) {
  constexpr CollectiveKind kKind = CollectiveKind::kAllGather;
  if (absl::Status s = CheckRanks(kKind, rank, size, 0); !s.ok()) return s;
  if (absl::Status s = CheckOrder(kKind, size, ring_order); !s.ok()) return s;
  switch (algorithm) {
    case Algorithm::kRing:
      return RingAllGather(rank, size, block_count, ring_order);
    case Algorithm::kHalvingDoubling:
      return HalvingDoublingAllGather(rank, size, block_count);
    case Algorithm::kDirect:
      return DirectAllGather(rank, size, block_count);
    case Algorithm::kHierarchical:
      return HierarchicalAllGather(rank, size, group_size, block_count, Algorithm::kRing);
    default:
      return NotImplemented(kKind, algorithm);
  }
}

absl::StatusOr<Schedule> AllToAllSchedule(Algorithm algorithm, int rank, int size, size_t count) {
  constexpr CollectiveKind kKind = CollectiveKind::kAllToAll;
  if (absl::Status s = CheckRanks(kKind, rank, size, 0); !s.ok()) return s;
  switch (algorithm) {
    case Algorithm::kPairwise:
      return PairwiseAllToAll(rank, size, UniformAllToAllLayout(size, count));
    case Algorithm::kBruck:
      return BruckAllToAll(rank, size, count);
    case Algorithm::kDirect:
      return DirectAllToAll(rank, size, UniformAllToAllLayout(size, count));
    default:
      return NotImplemented(kKind, algorithm);
  }
}

absl::StatusOr<Schedule> AllToAllvSchedule(Algorithm algorithm, int rank, int size,
                                           const AllToAllLayout& layout) {
  constexpr CollectiveKind kKind = CollectiveKind::kAllToAllv;
  if (absl::Status s = CheckRanks(kKind, rank, size, 0); !s.ok()) return s;
  if (absl::Status s = ValidateAllToAllLayout(layout, rank, size); !s.ok()) return s;
  switch (algorithm) {
    case Algorithm::kPairwise:
      return PairwiseAllToAll(rank, size, layout);
    case Algorithm::kDirect:
      return DirectAllToAll(rank, size, layout);
    default:
      return NotImplemented(kKind, algorithm);
  }
}

absl::StatusOr<Schedule> BroadcastSchedule(Algorithm algorithm, int rank, int size, int root,
                                           size_t count) {
  constexpr CollectiveKind kKind = CollectiveKind::kBroadcast;
  if (absl::Status s = CheckRanks(kKind, rank, size, root); !s.ok()) return s;
  switch (algorithm) {
    case Algorithm::kTree:
      return BinomialTreeBroadcast(rank, size, root, count);
    case Algorithm::kDirect:
      return DirectBroadcast(rank, size, root, count);
    default:
      return NotImplemented(kKind, algorithm);
  }
}

absl::StatusOr<Schedule> ReduceSchedule(Algorithm algorithm, int rank, int size, int root,
                                        size_t count) {
  constexpr CollectiveKind kKind = CollectiveKind::kReduce;
  if (absl::Status s = CheckRanks(kKind, rank, size, root); !s.ok()) return s;
  if (algorithm == Algorithm::kTree) return BinomialTreeReduce(rank, size, root, count);
  return NotImplemented(kKind, algorithm);
}

}  // namespace ultracc::collectives
