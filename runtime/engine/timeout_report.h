// What a member does when a collective passes its deadline: before giving up, the members that are
// still alive tell each other that they timed out, and each names the members it did not hear
// from. Those are the stalled or lagging ones (the cause of the hang), not merely the neighbour
// this member happened to wait on, which in a ring or tree is usually another victim.
//
// It costs nothing until a timeout: one small message to every member and a wait of at most
// `window` for theirs. Afterwards the links are aborted (messages may still be in flight), so a
// communicator reports at most one timeout.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "transport/transport.h"

namespace ultracc::engine {

struct TimeoutReport {
  transport::Transport* links = nullptr;  // members: the engine's nodes
  int chips_per_node = 1;                 // names a member by its ranks when above 1
  uint32_t comm_id = 0;
  uint64_t sequence = 0;  // the collective that timed out
  absl::Duration window = absl::Seconds(1);
  // A rank of this member that never called the collective (the daemon knows its own ranks), named
  // to the others; -1 if none.
  int stalled_rank = -1;
};

// How long members wait for each other's reports under a timeout of `timeout`: long enough to
// cover their deadlines' skew, short next to the timeout itself.
absl::Duration TimeoutReportWindow(absl::Duration timeout);

// Exchanges the reports and returns `timeout` (a DeadlineExceeded) with the ranks that other
// members found stalled and the members not heard from named first. Aborts `links` before
// returning.
absl::Status ReportTimeout(const absl::Status& timeout, const TimeoutReport& report);

}  // namespace ultracc::engine
