// Ordered execution and error bookkeeping shared by both backends; see communicator.h.
#include "runtime/client/communicator.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace ultracc::client {

absl::Status Communicator::AwaitTurn(uint64_t sequence, absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto turn = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return aborted_ || completed_ + 1 >= sequence;
  };
  if (!mu_.AwaitWithDeadline(absl::Condition(&turn), deadline)) {
    return absl::DeadlineExceededError(
        absl::StrCat("rank ", rank_, ": operation #", sequence, " waited for operation #",
                     completed_ + 1, " to finish past the timeout"));
  }
  if (aborted_) {
    return absl::AbortedError(absl::StrCat("rank ", rank_, ": communicator was aborted"));
  }
  return absl::OkStatus();
}

void Communicator::Finish(uint64_t sequence, const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  if (sequence > completed_) completed_ = sequence;
  if (!status.ok() && first_error_.ok()) first_error_ = status;
}

absl::Status Communicator::RunAllReduce(uint64_t sequence, const AllReduceArgs& args) {
  absl::Time deadline = absl::Now() + timeout_;
  absl::Status status = AwaitTurn(sequence, deadline);
  if (status.ok()) status = DoAllReduce(sequence, args, deadline);
  Finish(sequence, status);
  return status;
}

absl::Status Communicator::Finalize() {
  absl::Time deadline = absl::Now() + timeout_;
  uint64_t last = issued_.load(std::memory_order_acquire);
  {
    absl::MutexLock lock(&mu_);
    if (finalized_) return first_error_;
    auto done = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return aborted_ || completed_ >= last; };
    if (!mu_.AwaitWithDeadline(absl::Condition(&done), deadline)) {
      return absl::DeadlineExceededError(absl::StrCat(
          "rank ", rank_, ": finalize waited past the timeout for operation #", completed_ + 1));
    }
    if (aborted_) return absl::AbortedError("communicator was aborted");
    finalized_ = true;
  }
  absl::Status status = DoFinalize(deadline);
  absl::MutexLock lock(&mu_);
  return first_error_.ok() ? status : first_error_;
}

void Communicator::Abort() {
  {
    absl::MutexLock lock(&mu_);
    if (aborted_) return;
    aborted_ = true;
    if (first_error_.ok()) first_error_ = absl::AbortedError("communicator was aborted");
  }
  DoAbort();
}

absl::Status Communicator::async_error() const {
  absl::MutexLock lock(&mu_);
  return first_error_;
}

void Communicator::set_last_error(std::string message) {
  absl::MutexLock lock(&mu_);
  last_error_ = std::move(message);
}

const char* Communicator::last_error() {
  absl::MutexLock lock(&mu_);
  last_error_returned_ = last_error_;
  return last_error_returned_.c_str();
}

}  // namespace ultracc::client
