// Link emulation; see shaped_transport.h.
#include "transport/shaping/shaped_transport.h"

#include <utility>

#include "absl/time/clock.h"

namespace ultracc::transport::shaping {

ShapedTransport::ShapedTransport(std::unique_ptr<ConnectableTransport> inner,
                                 std::vector<LinkShape> levels, std::vector<int> level_of_peer)
    : inner_(std::move(inner)),
      levels_(std::move(levels)),
      level_of_peer_(std::move(level_of_peer)),
      pipe_free_(levels_.size(), absl::InfinitePast()) {
  releaser_ = std::thread([this] { ReleaseLoop(); });
}

ShapedTransport::~ShapedTransport() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  releaser_.join();
  FailHeld(absl::CancelledError("shaped transport destroyed with the send still held"));
}

void ShapedTransport::PostSend(int peer, uint64_t tag, const void* data, size_t bytes,
                               Request* request) {
  const bool known =
      peer >= 0 && static_cast<size_t>(peer) < level_of_peer_.size() && peer != Rank();
  const int level = known ? level_of_peer_[static_cast<size_t>(peer)] : -1;
  if (level < 0 || static_cast<size_t>(level) >= levels_.size()) {
    return inner_->PostSend(peer, tag, data, bytes, request);  // the inner transport judges it
  }
  const LinkShape& link = levels_[static_cast<size_t>(level)];
  if (link.bytes_per_second <= 0 && link.latency <= absl::ZeroDuration()) {
    return inner_->PostSend(peer, tag, data, bytes, request);  // an unlimited level holds nothing
  }
  absl::MutexLock lock(&mu_);
  if (!aborted_.ok()) return request->Complete(aborted_);
  const absl::Time now = absl::Now();
  absl::Time& free = pipe_free_[static_cast<size_t>(level)];
  const absl::Time start = std::max(now, free);
  const absl::Duration wire =
      link.bytes_per_second > 0 ? absl::Seconds(static_cast<double>(bytes) / link.bytes_per_second)
                                : absl::ZeroDuration();
  free = start + wire;
  // Every send of a shaped level goes through the queue, even one already due: posting it here
  // could overtake an earlier one the releaser has taken but not yet posted.
  held_.push(Held{free + link.latency, next_order_++, peer, tag, data, bytes, request});
}

void ShapedTransport::ReleaseLoop() {
  while (true) {
    std::vector<Held> due;
    {
      absl::MutexLock lock(&mu_);
      // Wake when the earliest send is due, or when a send arrives (it may be due sooner).
      const uint64_t seen = next_order_;
      auto ready = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || next_order_ != seen ||
               (!held_.empty() && held_.top().release <= absl::Now());
      };
      const absl::Duration wait =
          held_.empty() ? absl::Milliseconds(50)
                        : std::min(absl::Milliseconds(50), held_.top().release - absl::Now());
      if (wait > absl::ZeroDuration()) mu_.AwaitWithTimeout(absl::Condition(&ready), wait);
      if (stopping_) return;
      const absl::Time now = absl::Now();
      while (!held_.empty() && held_.top().release <= now) {
        due.push_back(held_.top());
        held_.pop();
      }
    }
    // In release order, outside the lock: the inner transport may complete at once.
    for (const Held& h : due) inner_->PostSend(h.peer, h.tag, h.data, h.bytes, h.request);
  }
}

void ShapedTransport::FailHeld(const absl::Status& cause) {
  std::vector<Held> failed;
  {
    absl::MutexLock lock(&mu_);
    while (!held_.empty()) {
      failed.push_back(held_.top());
      held_.pop();
    }
  }
  for (const Held& h : failed) h.request->Complete(cause);
}

void ShapedTransport::Abort(const absl::Status& cause) {
  {
    absl::MutexLock lock(&mu_);
    if (aborted_.ok()) aborted_ = cause.ok() ? absl::AbortedError("aborted") : cause;
  }
  FailHeld(cause);
  inner_->Abort(cause);
}

}  // namespace ultracc::transport::shaping
