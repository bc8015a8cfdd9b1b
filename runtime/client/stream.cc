// Ordered CPU-side stream; see stream.h.
#include "runtime/client/stream.h"

namespace ultracc::client {

Stream::Stream() : worker_([this] { Run(); }) {}

Stream::~Stream() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  worker_.join();
}

void Stream::Enqueue(Work work) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(work));
}

void Stream::Run() {
  while (true) {
    Work work;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return !queue_.empty() || stopping_;
      };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, and nothing left to run
      work = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    absl::Status status = work();
    absl::MutexLock lock(&mu_);
    busy_ = false;
    if (!status.ok() && first_error_.ok()) first_error_ = std::move(status);
  }
}

absl::Status Stream::Synchronize(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return queue_.empty() && !busy_; };
  if (!mu_.AwaitWithDeadline(absl::Condition(&idle), deadline)) {
    return absl::DeadlineExceededError("stream did not drain within the timeout");
  }
  absl::Status status = std::move(first_error_);
  first_error_ = absl::OkStatus();
  return status;
}

absl::Status Stream::Query() {
  absl::MutexLock lock(&mu_);
  if (!first_error_.ok()) return first_error_;
  if (!queue_.empty() || busy_) return absl::UnavailableError("in progress");
  return absl::OkStatus();
}

}  // namespace ultracc::client
