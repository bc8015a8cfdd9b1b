// The check that every participant of a collective made the same call (kind, count, dtype, op,
// root) before any data moves, so that ranks that disagree all get an error naming two ranks, the
// operation number and both calls, instead of a hang, a timeout or a corrupted result.
//
// When the calls agree it costs one small all-reduce on the engine: every participant contributes
// its call's fields and their complements and reduces with Max, which yields the largest and the
// smallest value of each field; they differ exactly when some participant disagrees. Only then
// does a second round gather every rank's call, so that each participant can name who called
// what. Every participant learns the same answers, so all of them fail together with the same
// message and the links stay clean for the next operation.
// ULTRACC_CHECK_CALLS=0 skips it (for the last microseconds of small-message latency).
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "collectives/node_engine.h"
#include "runtime/engine/call_signature.h"
#include "runtime/engine/collective_call.h"
#include "transport/transport.h"

namespace ultracc::engine {

struct Agreement {
  uint32_t comm_id = 0;
  uint64_t sequence = 0;  // the communicator's collective number, named in messages
  // One signature per local chip, in chip order. They differ only on a node that found its own
  // chips disagreeing; that node is also `poisoned`.
  absl::Span<const CallSignature> chips;
  // This node cannot run the call (its own check failed), and makes every participant fail.
  bool poisoned = false;
};

// Runs the agreement. FailedPrecondition when the participants disagree: `*calls_differ` is then
// true when two ranks' calls differ (the message names them) and false when only a poisoned node
// refused a call all ranks made alike.
absl::Status AgreeOnCall(collectives::NodeEngine& engine, const Agreement& agreement,
                         absl::Time deadline, bool* calls_differ);

// How RunAgreedCollective runs one collective.
struct AgreedRun {
  uint32_t comm_id = 0;
  uint64_t sequence = 0;
  collectives::Algorithm algorithm = collectives::Algorithm::kAuto;
  bool check_calls = true;  // ULTRACC_CHECK_CALLS
  bool has_peers = false;   // the engine has other members to agree with
  // Each local chip's own call when they may differ (the daemon's ranks); empty: `call` for all.
  absl::Span<const CallSignature> chip_calls;
  // The engine's links, for the timeout report (timeout_report.h) when the run passes its
  // deadline; null: a timeout is returned as the engine reported it.
  transport::Transport* links = nullptr;
  int chips_per_node = 1;
  absl::Duration report_window = absl::Seconds(1);
};

// The one path both modes run a collective through: the agreement (when checked and there are
// peers), then the collective. `local` is this member's own verdict on the call (the daemon's check
// of its ranks); when it failed, the member takes part in the agreement poisoned, so every member
// fails together, and returns `local` unless the agreement named ranks whose calls differ (its
// call need only list one input, any, per local chip). A timeout names the members that did not
// reach the deadline with this one (timeout_report.h). `links_clean` is set false when the failure
// may have left messages in flight (the owner must then abort the links).
absl::Status RunAgreedCollective(collectives::NodeEngine& engine, const CollectiveCall& call,
                                 const absl::Status& local, const AgreedRun& run,
                                 absl::Time deadline, bool* links_clean);

}  // namespace ultracc::engine
