// The check that every participant of a collective made the same call (kind, count, dtype, op,
// root) before any data moves, so that ranks that disagree all get an error naming the argument
// instead of a hang, a timeout or a corrupted result.
//
// It costs one small all-reduce on the engine: every participant contributes its call's fields
// and their complements and reduces with Max, which yields the largest and the smallest value of
// each field; they differ exactly when some participant disagrees. Every participant learns the
// same answer, so all of them fail together and the links stay clean for the next operation.
// ULTRACC_CHECK_CALLS=0 skips it (for the last microseconds of small-message latency).
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "collectives/node_engine.h"
#include "runtime/engine/collective_call.h"

namespace ultracc::engine {

// Runs the agreement for `call` as operation `op_seq` (from AgreementOpSeq). `poisoned`: this node
// already knows its own chips disagree, and makes every participant fail. Returns
// FailedPrecondition naming the field, the smallest and largest value, and this node's value.
absl::Status AgreeOnCall(collectives::NodeEngine& engine, const CollectiveCall& call,
                         uint64_t op_seq, bool poisoned, absl::Time deadline);

// How RunAgreedCollective runs one collective.
struct AgreedRun {
  uint32_t comm_id = 0;
  uint64_t sequence = 0;
  collectives::Algorithm algorithm = collectives::Algorithm::kAuto;
  bool check_calls = true;   // ULTRACC_CHECK_CALLS
  bool has_peers = false;    // the engine has other members to agree with
};

// The one path both modes run a collective through: the agreement (when checked and there are
// peers), then the collective. `local` is this member's own verdict on the call (the daemon's check
// of its ranks); when it failed, the member takes part in the agreement poisoned, so every member
// fails together, and returns `local` (its call need only list one input, any, per local chip).
// `links_clean` is set false when the failure may have left messages in flight (the owner must
// then abort the links).
absl::Status RunAgreedCollective(collectives::NodeEngine& engine, const CollectiveCall& call,
                                 const absl::Status& local, const AgreedRun& run,
                                 absl::Time deadline, bool* links_clean);

}  // namespace ultracc::engine
