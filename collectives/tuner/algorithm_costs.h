// The alpha-beta cost of each algorithm of collectives/, round by round as its schedule generator
// lays it out (ring.h, halving_doubling.h, binomial_tree.h, tree_all_reduce.h, direct.h,
// pairwise_all_to_all.h, bruck_all_to_all.h, dissemination_barrier.h).
//
// The model: a round costs the worst rank's message, alpha + bytes * beta of the level that message
// crosses, plus local reductions and copies at memory bandwidth. Each level is one pipe per member:
// a rank sending to several peers in one round (direct) queues those messages on each level's pipe
// for bandwidth while their latencies overlap, and different levels' pipes run side by side, so
// the round costs its busiest level (alpha once, plus every byte that level carries). Where rounds
// wait on their own pair (pairwise), a rank's rounds add up on their own levels instead. Rings and
// shifts cross the top level in every round (some rank always does); the rounds of
// halving-doubling and trees cross the levels their partners actually differ at. Not modelled yet:
// chunk pipelining, link contention beyond a chip's share, and hop counts inside torus and ring
// levels (any two members of a level are taken as one hop apart, as through a switch).
//
// `bytes` is what ChooseAlgorithm takes (algorithm.h): the whole per-member buffer for all-reduce,
// broadcast and reduce, the full input of reduce-scatter and all-to-all, the full output of
// all-gather. Each function covers the collectives its algorithm implements
// (AlgorithmApplies) and returns nothing for others.
#pragma once

#include <optional>
#include <vector>

#include "collectives/algorithm.h"
#include "collectives/tuner/cost.h"
#include "collectives/tuner/rank_hierarchy.h"

namespace ultracc::collectives::tuner {

// The level each round of the log-round algorithms crosses, computed once per layout.
struct RoundLevels {
  // Recursive halving-doubling: entry k for virtual distance 2^k; fold for the pairs that fold
  // in and out around the power-of-two part (-1 when the rank count is a power of two).
  std::vector<int> halving_doubling;
  int fold = -1;
  // Binomial tree rooted at rank 0: entry k for round k (distance 2^k).
  std::vector<int> binomial_tree;

  static RoundLevels Of(const RankHierarchy& hierarchy);
};

// Shift patterns: every round a rank talks to the rank(s) at fixed offsets (shift_costs.cc).
std::optional<Cost> RingCost(const RankHierarchy& h, CollectiveKind kind, double bytes);
std::optional<Cost> DirectCost(const RankHierarchy& h, CollectiveKind kind, double bytes);
std::optional<Cost> PairwiseCost(const RankHierarchy& h, CollectiveKind kind, double bytes);
// The hierarchical all-reduce, reduce-scatter and all-gather (hierarchical.h) with the
// UltraServers as their groups.
std::optional<Cost> HierarchicalCost(const RankHierarchy& h, CollectiveKind kind, double bytes);

// Logarithmic rounds (log_round_costs.cc).
std::optional<Cost> HalvingDoublingCost(const RankHierarchy& h, const RoundLevels& rounds,
                                        CollectiveKind kind, double bytes);
std::optional<Cost> TreeCost(const RankHierarchy& h, const RoundLevels& rounds, CollectiveKind kind,
                             double bytes);
std::optional<Cost> BruckCost(const RankHierarchy& h, CollectiveKind kind, double bytes);
std::optional<Cost> DisseminationBarrierCost(const RankHierarchy& h);

}  // namespace ultracc::collectives::tuner
