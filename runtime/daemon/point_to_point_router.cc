// Daemon-side send/recv matching; see point_to_point_router.h.
#include "runtime/daemon/point_to_point_router.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runtime/submission/operation.h"

namespace ultracc::daemon {
namespace {

using submission::OpDescriptor;
using submission::OpKind;

// How often the worker looks at remote requests in flight when nothing else wakes it. Requests
// have no completion callback, so the worker polls while any is in flight.
constexpr absl::Duration kInFlightPoll = absl::Microseconds(200);
constexpr absl::Duration kIdleWait = absl::Milliseconds(100);

}  // namespace

uint64_t PointToPointRouter::RemoteTag(int src_local, int dst_local, uint64_t sequence) {
  return (uint64_t{1} << 63) | ((sequence & ((uint64_t{1} << 24) - 1)) << 24) |
         (static_cast<uint64_t>(src_local & 0xfff) << 12) | static_cast<uint64_t>(dst_local & 0xfff);
}

PointToPointRouter::PointToPointRouter(PointToPointOptions options, Answer answer)
    : options_(options), answer_(std::move(answer)), worker_([this] { Run(); }) {}

PointToPointRouter::~PointToPointRouter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  worker_.join();
}

void PointToPointRouter::SetTransport(transport::Transport* transport) {
  absl::MutexLock lock(&mu_);
  transport_ = transport;
  std::vector<Item> waiting;
  waiting.swap(waiting_for_transport_);
  for (Item& item : waiting) inbox_.push_back(std::move(item));
}

void PointToPointRouter::Submit(int local_rank, const OpDescriptor& d, char* buffer,
                                size_t bytes) {
  absl::MutexLock lock(&mu_);
  inbox_.push_back(Item{local_rank, d, buffer, bytes, absl::Now() + options_.timeout});
}

void PointToPointRouter::Fail(absl::Status cause) {
  absl::MutexLock lock(&mu_);
  if (failure_.ok()) failure_ = std::move(cause);
}

void PointToPointRouter::Reply(const Item& item, const absl::Status& status) {
  answer_(item.local_rank, item.d, status);
}

void PointToPointRouter::Run() {
  while (true) {
    std::vector<std::pair<Item, absl::Status>> replies;
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || !inbox_.empty(); };
      mu_.AwaitWithTimeout(absl::Condition(&wake), in_flight_.empty() ? kIdleWait : kInFlightPoll);
      if (stopping_) return;
      std::vector<Item> inbox;
      inbox.swap(inbox_);
      const int first_local = options_.node_rank * options_.chips_per_node;
      auto answer_later = [&](const Item& item, absl::Status status) {
        replies.emplace_back(item, std::move(status));
      };
      if (!failure_.ok()) {
        // Everything not yet on the wire ends with the job's failure.
        for (Item& item : inbox) answer_later(item, failure_);
        for (Item& item : waiting_for_transport_) answer_later(item, failure_);
        waiting_for_transport_.clear();
        for (auto* table : {&local_sends_, &local_recvs_}) {
          for (auto& [key, item] : *table) answer_later(item, failure_);
          table->clear();
        }
        inbox.clear();
      }
      for (Item& item : inbox) {
        const int self = first_local + item.local_rank;
        const int peer = item.d.root_or_peer;
        const bool sending = item.d.kind == OpKind::kSend;
        if (peer / options_.chips_per_node != options_.node_rank) {
          if (transport_ == nullptr) {
            waiting_for_transport_.push_back(std::move(item));
          } else {
            const int peer_local = peer % options_.chips_per_node;
            const uint64_t tag = sending ? RemoteTag(item.local_rank, peer_local, item.d.sequence)
                                         : RemoteTag(peer_local, item.local_rank, item.d.sequence);
            InFlight& f = in_flight_.emplace_back();
            f.item = std::move(item);
            const int peer_node = peer / options_.chips_per_node;
            if (sending) {
              transport_->PostSend(peer_node, tag, f.item.buffer, f.item.bytes, &f.request);
            } else {
              transport_->PostRecv(peer_node, tag, f.item.buffer, f.item.bytes, &f.request);
            }
          }
          continue;
        }
        const Key key = sending ? Key{self, peer, item.d.sequence} : Key{peer, self, item.d.sequence};
        auto& mine = sending ? local_sends_ : local_recvs_;
        auto& theirs = sending ? local_recvs_ : local_sends_;
        auto match = theirs.find(key);
        if (match == theirs.end()) {
          mine.emplace(key, std::move(item));
          continue;
        }
        Item other = std::move(match->second);
        theirs.erase(match);
        const Item& send = sending ? item : other;
        const Item& recv = sending ? other : item;
        absl::Status status;
        if (send.bytes != recv.bytes) {
          status = absl::InvalidArgumentError(absl::StrCat(
              "send #", send.d.sequence, " from rank ", std::get<0>(key), " to rank ",
              std::get<1>(key), " has ", send.bytes, " bytes, the matching receive ", recv.bytes));
        } else if (send.bytes > 0 && send.buffer != recv.buffer) {
          std::memmove(recv.buffer, send.buffer, send.bytes);
        }
        answer_later(send, status);
        answer_later(recv, status);
      }
      // Finished or overdue requests in flight; overdue local halves.
      const absl::Time now = absl::Now();
      for (auto it = in_flight_.begin(); it != in_flight_.end();) {
        if (it->request.IsDone()) {
          absl::Status s = it->request.status();
          if (!s.ok()) {
            s = absl::Status(s.code(), absl::StrCat(submission::OpKindName(it->item.d.kind), " #",
                                                    it->item.d.sequence, " between rank ",
                                                    first_local + it->item.local_rank,
                                                    " and rank ", it->item.d.root_or_peer, ": ",
                                                    s.message()));
          }
          answer_later(it->item, s);
          it = in_flight_.erase(it);
        } else if (now >= it->item.deadline) {
          answer_later(it->item, absl::DeadlineExceededError(absl::StrCat(
                                     submission::OpKindName(it->item.d.kind), " #",
                                     it->item.d.sequence, " between rank ",
                                     first_local + it->item.local_rank, " and rank ",
                                     it->item.d.root_or_peer, " did not complete in time")));
          // The transport may still write into the request: keep it until the router goes.
          auto next = std::next(it);
          abandoned_.splice(abandoned_.end(), in_flight_, it);
          it = next;
        } else {
          ++it;
        }
      }
      for (auto* table : {&local_sends_, &local_recvs_}) {
        for (auto it = table->begin(); it != table->end();) {
          if (now < it->second.deadline) {
            ++it;
            continue;
          }
          const auto& [src, dst, seq] = it->first;
          answer_later(it->second,
                       absl::DeadlineExceededError(absl::StrCat(
                           "send #", seq, " from rank ", src, " to rank ", dst, ": rank ",
                           table == &local_sends_ ? dst : src,
                           " did not post its half within the timeout")));
          it = table->erase(it);
        }
      }
      for (auto it = waiting_for_transport_.begin(); it != waiting_for_transport_.end();) {
        if (now < it->deadline) {
          ++it;
          continue;
        }
        answer_later(*it, absl::DeadlineExceededError(
                              "the node transport was not connected within the timeout"));
        it = waiting_for_transport_.erase(it);
      }
    }
    for (const auto& [item, status] : replies) Reply(item, status);
  }
}

}  // namespace ultracc::daemon
