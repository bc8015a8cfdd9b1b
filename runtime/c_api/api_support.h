// What the C API's entry points share: the handles behind ultraccComm_t and ultraccStream_t, the
// guard that turns every failure (and every exception) into a result code plus a last-error
// message, and the process's settings.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/client/communicator.h"
#include "runtime/client/stream.h"
#include "runtime/config.h"
#include "ultracc.h"

struct ultraccComm {
  std::unique_ptr<ultracc::client::Communicator> impl;
  // The owner's reference plus one per call in flight: ultraccCommAbort (from another thread, say)
  // drops the owner's, and the last call out frees the handle, never one still inside it.
  std::atomic<int> references{1};
};
struct ultraccStream {
  ultracc::client::Stream impl;
};

namespace ultracc::c_api {

// Records a failure's message for ultraccGetLastError (on the comm when there is one) and returns
// its code.
ultraccResult_t Fail(ultraccComm_t comm, const absl::Status& status);
// Runs `body`, catching everything; failures go through Fail.
ultraccResult_t Guard(ultraccComm_t comm, const std::function<absl::Status()>& body);
// Drops one reference to `comm`, freeing it with the last.
void ReleaseComm(ultraccComm_t comm);
// The process's settings, read once.
absl::StatusOr<Config> ProcessConfig();
// InvalidArgument for a NULL or destroyed communicator.
absl::Status CheckComm(ultraccComm_t comm);
// Wraps `impl` in a new handle stored in *out.
absl::Status MakeComm(ultraccComm_t* out, std::unique_ptr<client::Communicator> impl);
// The message ultraccGetLastError(NULL) returns on this thread.
const char* ThreadLastError();

}  // namespace ultracc::c_api
