// The slice the executor cuts an algorithm's messages into, per collective and size, from the
// levels those messages cross. A receive-reduce keeps a window of slices in flight (executor.h),
// so a message longer than the window crosses its level at full bandwidth only when window - 1
// slices cover the level's bandwidth-delay product (alpha / beta bytes); smaller slices overlap
// more of the reduction with the transfer. So the choice is the smallest candidate slice that
// keeps every receive-reduce message of the algorithm off the window's limit (on its own level),
// or the largest candidate when none does.
#pragma once

#include <cstddef>

#include "collectives/algorithm.h"
#include "collectives/tuner/algorithm_costs.h"
#include "collectives/tuner/rank_hierarchy.h"

namespace ultracc::collectives::tuner {

inline constexpr size_t kSliceCandidates[] = {size_t{64} << 10, size_t{256} << 10, size_t{1} << 20,
                                              size_t{4} << 20, size_t{16} << 20};
inline constexpr int kRecvReduceWindow = 4;  // ExecutorOptions::recv_reduce_window

// 0 when `algorithm` runs `kind` without receive-reduce messages (its sends and receives post
// every slice at once): the engine keeps its own slice.
size_t ChooseSlice(const RankHierarchy& h, const RoundLevels& rounds, CollectiveKind kind,
                   Algorithm algorithm, double bytes);

}  // namespace ultracc::collectives::tuner
