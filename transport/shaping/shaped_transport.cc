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
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
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
  std::unique_lock<std::mutex> lock(mu_);
  if (!aborted_.ok()) {
    const absl::Status cause = aborted_;
    lock.unlock();
    return request->Complete(cause);
  }
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
  lock.unlock();
  wake_.notify_one();
}

void ShapedTransport::ReleaseLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    // Sleep until the earliest send is due, or until a send arrives (it may be due sooner).
    if (held_.empty()) {
      const uint64_t seen = next_order_;
      wake_.wait(lock, [&] { return stopping_ || next_order_ != seen; });
      continue;
    }
    const absl::Time release = held_.top().release;
    if (release > absl::Now()) {
      const uint64_t seen = next_order_;
      wake_.wait_until(lock, absl::ToChronoTime(release),
                       [&] { return stopping_ || next_order_ != seen; });
      continue;
    }
    std::vector<Held> due;
    const absl::Time now = absl::Now();
    while (!held_.empty() && held_.top().release <= now) {
      due.push_back(held_.top());
      held_.pop();
    }
    // In release order, outside the lock: the inner transport may complete at once.
    lock.unlock();
    for (const Held& h : due) inner_->PostSend(h.peer, h.tag, h.data, h.bytes, h.request);
    lock.lock();
  }
}

void ShapedTransport::FailHeld(const absl::Status& cause) {
  std::vector<Held> failed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (!held_.empty()) {
      failed.push_back(held_.top());
      held_.pop();
    }
  }
  for (const Held& h : failed) h.request->Complete(cause);
}

void ShapedTransport::Abort(const absl::Status& cause) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (aborted_.ok()) aborted_ = cause.ok() ? absl::AbortedError("aborted") : cause;
  }
  FailHeld(cause);
  inner_->Abort(cause);
}

}  // namespace ultracc::transport::shaping
