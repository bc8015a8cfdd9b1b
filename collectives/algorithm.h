// Which algorithm runs a collective: the names users force one by, which algorithms implement which
// collective, and the default size rule (the topology-aware tuner refines it later).
//
// Forcing: a forced algorithm is one setting for a whole job (ULTRACC_ALGO=bruck, read by
// runtime/config), while the job runs many kinds of collectives. So a forced algorithm that does
// not implement the collective at hand falls back to the default rule for it (e.g. "bruck" forces
// all-to-all and leaves all-reduce to the size rule). Every algorithm of a collective computes the
// same result (floating-point sums may round differently, within the bound node_engine.h states),
// so the fallback never changes what a collective means. AlgorithmApplies tells callers and tests
// whether a choice will be honoured.
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ultracc::collectives {

enum class Algorithm : int {
  kAuto = 0,         // "auto": the default rule below
  kRing,             // "ring": all-reduce, reduce-scatter, all-gather
  kHalvingDoubling,  // "rhd": all-reduce, reduce-scatter, all-gather
  kTree,             // "tree": broadcast, reduce, all-reduce (binomial trees)
  kPairwise,         // "pairwise": all-to-all, all-to-allv
  kBruck,            // "bruck": all-to-all
  kDirect,           // "direct": all-reduce, reduce-scatter, all-gather, all-to-all(v), broadcast
  kHierarchical,     // "hier": all-reduce, reduce-scatter, all-gather over groups of members
                     // behind one switch (an UltraServer's nodes): direct inside each group, ring
                     // across the groups (hierarchical.h); without groups, the ring over everyone
};

enum class CollectiveKind : int {
  kAllReduce = 0,
  kReduceScatter,
  kAllGather,
  kAllToAll,
  kAllToAllv,
  kBroadcast,
  kReduce,
  kBarrier,
};

// "auto", "ring", "rhd", "tree", "pairwise", "bruck", "direct", "hier" (case-insensitive). Anything
// else is InvalidArgument listing the valid names.
absl::StatusOr<Algorithm> ParseAlgorithm(absl::string_view name);
absl::string_view AlgorithmName(Algorithm algorithm);
absl::string_view CollectiveKindName(CollectiveKind kind);
// The valid names, comma separated, for messages and help texts.
std::string AlgorithmNames();

// Whether `algorithm` implements `kind` (kAuto applies to everything; the barrier always runs the
// dissemination barrier and takes no other choice).
bool AlgorithmApplies(CollectiveKind kind, Algorithm algorithm);

// The algorithm to run `kind` among `participants` members, each contributing `message_bytes`
// (the whole per-member buffer: count * element size for all-reduce, broadcast and reduce; the
// full input of reduce-scatter and all-to-all; the full output of all-gather). A forced algorithm
// that applies is returned as is; otherwise (kAuto, or one that does not apply, see above):
//   all-reduce, reduce-scatter, all-gather: "rhd" below kSmallMessageBytes, else "ring";
//   all-to-all: "bruck" when each peer's block is at most kSmallBlockBytes and there are more than
//     two participants, else "pairwise";  all-to-allv: "pairwise";
//   broadcast, reduce: "tree";  barrier: kAuto (it has no choice).
// Fails only on an invalid enum value or participants < 1.
absl::StatusOr<Algorithm> ChooseAlgorithm(CollectiveKind kind, size_t message_bytes,
                                          int participants, Algorithm forced = Algorithm::kAuto);

inline constexpr size_t kSmallMessageBytes = 64 * 1024;
inline constexpr size_t kSmallBlockBytes = 1024;

}  // namespace ultracc::collectives
