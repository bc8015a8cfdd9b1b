// Issuing operations: alone (at once, blocking on a null stream) or collected by this thread's
// open group and issued together at the outermost GroupEnd, as ncclGroupStart/End do. Grouped
// sends and receives of a communicator are all in flight together (Communicator::Run), so any
// pattern of them completes without deadlock.
#pragma once

#include "absl/status/status.h"
#include "runtime/client/communicator.h"
#include "runtime/client/stream.h"

namespace ultracc::client {

// `op` has passed Validate. `stream` may be null (blocking).
absl::Status IssueOperation(Communicator* comm, Stream* stream, Operation op);

void GroupStart();
// Issues the group when the outermost group ends; returns the first error of the issue (and, for
// communicators on a null stream, of the run). InvalidUsage-mapped error without a GroupStart.
absl::Status GroupEnd();
bool InGroup();
// Drops operations of `comm` collected by this thread's open group (the comm is going away).
void ForgetGroupedOperations(Communicator* comm);

}  // namespace ultracc::client
