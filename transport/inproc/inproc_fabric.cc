// Matching, buffering and abort of the in-process transport.
#include "transport/inproc/inproc_fabric.h"

#include <atomic>
#include <cstring>
#include <deque>
#include <mutex>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "transport/keyed_queues.h"

namespace ultracc::transport::inproc {
namespace {

// A send waiting for its receive. Eager sends own a copy and are already complete.
struct PendingSend {
  const void* data = nullptr;
  size_t bytes = 0;
  Request* request = nullptr;  // null for an eager send
  std::unique_ptr<char[]> copy;
};

struct PendingRecv {
  void* data = nullptr;
  size_t bytes = 0;
  Request* request = nullptr;
};

using Key = PeerTag;  // (the other member, tag)

}  // namespace

// One member: its rank, and the mailbox of messages addressed to it.
class InProcFabric::Member final : public Transport {
 public:
  Member(InProcFabric* fabric, int rank) : fabric_(fabric), rank_(rank) {}

  std::string Name() const override { return "inproc"; }
  int Rank() const override { return rank_; }
  int Size() const override { return fabric_->size(); }

  void PostSend(int peer, uint64_t tag, const void* data, size_t bytes,
                Request* request) override {
    if (absl::Status s = CheckPost("send to", peer); !s.ok()) return request->Complete(s);
    if (lost_.load(std::memory_order_acquire)) return request->Complete(OwnCause());
    Member& to = *fabric_->members_[peer];
    PendingRecv recv;
    {
      std::lock_guard<std::mutex> lock(to.mu_);
      if (to.aborted_) return request->Complete(PeerLost(peer, to.cause_));
      if (!PopFront(to.recvs_, Key{rank_, tag}, recv)) {
        PendingSend send;
        send.data = data;
        send.bytes = bytes;
        const bool eager = bytes <= kEagerBytes;
        if (eager) {
          send.copy.reset(new char[bytes]);
          if (bytes > 0) std::memcpy(send.copy.get(), data, bytes);
          send.data = send.copy.get();
        } else {
          send.request = request;
        }
        to.unexpected_[Key{rank_, tag}].push_back(std::move(send));
        if (eager) request->Complete(absl::OkStatus());
        return;
      }
    }
    Deliver(rank_, peer, tag, data, bytes, request, recv);
  }

  void PostRecv(int peer, uint64_t tag, void* data, size_t bytes, Request* request) override {
    if (absl::Status s = CheckPost("receive from", peer); !s.ok()) return request->Complete(s);
    PendingSend send;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (aborted_) return request->Complete(cause_);
      if (!PopFront(unexpected_, Key{peer, tag}, send)) {
        // Checked under our lock: a peer aborting later fails this receive when it sweeps us.
        const Member& from = *fabric_->members_[peer];
        if (from.lost_.load(std::memory_order_acquire)) {
          return request->Complete(absl::UnavailableError(
              absl::StrFormat("inproc rank %d: receive from peer %d, which was aborted", rank_, peer)));
        }
        recvs_[Key{peer, tag}].push_back({.data = data, .bytes = bytes, .request = request});
        return;
      }
    }
    Deliver(peer, rank_, tag, send.data, send.bytes, send.request,
            {.data = data, .bytes = bytes, .request = request});
  }

  void Abort(const absl::Status& cause) override {
    const absl::Status peer_lost = PeerLost(rank_, cause);
    std::vector<std::pair<Request*, absl::Status>> failed;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (aborted_) return;
      aborted_ = true;
      cause_ = cause;
      lost_.store(true, std::memory_order_release);
      for (auto& [key, queue] : recvs_) {
        for (PendingRecv& recv : queue) failed.emplace_back(recv.request, cause);
      }
      for (auto& [key, queue] : unexpected_) {
        for (PendingSend& send : queue) {
          if (send.request != nullptr) failed.emplace_back(send.request, PeerLost(rank_, cause));
        }
      }
      recvs_.clear();
      unexpected_.clear();
    }
    // Other members' receives from us and our rendezvous sends still waiting in their mailboxes.
    for (auto& other : fabric_->members_) {
      if (other.get() == this) continue;
      std::lock_guard<std::mutex> lock(other->mu_);
      for (auto it = other->recvs_.begin(); it != other->recvs_.end();) {
        if (it->first.first != rank_) {
          ++it;
          continue;
        }
        for (PendingRecv& recv : it->second) failed.emplace_back(recv.request, peer_lost);
        other->recvs_.erase(it++);
      }
      for (auto it = other->unexpected_.begin(); it != other->unexpected_.end();) {
        std::deque<PendingSend>& queue = it->second;
        if (it->first.first == rank_) {
          for (auto send = queue.begin(); send != queue.end();) {
            if (send->request == nullptr) {
              ++send;  // eager: already sent, stays receivable
              continue;
            }
            failed.emplace_back(send->request, cause);
            send = queue.erase(send);
          }
        }
        if (queue.empty()) {
          other->unexpected_.erase(it++);
        } else {
          ++it;
        }
      }
    }
    for (auto& [request, status] : failed) request->Complete(status);
  }

 private:
  static absl::Status PeerLost(int peer, const absl::Status& cause) {
    return absl::UnavailableError(
        absl::StrFormat("inproc: peer %d aborted: %s", peer, cause.message()));
  }

  absl::Status OwnCause() {
    std::lock_guard<std::mutex> lock(mu_);
    return cause_;
  }

  absl::Status CheckPost(const char* what, int peer) const {
    if (peer < 0 || peer >= fabric_->size()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "inproc rank %d: %s peer %d, outside [0, %d)", rank_, what, peer, fabric_->size()));
    }
    return absl::OkStatus();
  }

  // Completes a matched pair outside any lock: both requests are private to us once popped.
  static void Deliver(int src, int dst, uint64_t tag, const void* data, size_t bytes,
                      Request* send_request, const PendingRecv& recv) {
    absl::Status status;
    if (bytes != recv.bytes) {
      status = absl::InvalidArgumentError(absl::StrFormat(
          "inproc: message from rank %d to rank %d with tag %#x has %d bytes but the receive "
          "expects %d bytes",
          src, dst, tag, bytes, recv.bytes));
    } else if (bytes > 0) {
      std::memcpy(recv.data, data, bytes);
    }
    recv.request->Complete(status);
    if (send_request != nullptr) send_request->Complete(status);
  }

  InProcFabric* const fabric_;
  const int rank_;
  std::atomic<bool> lost_{false};  // set once Abort starts, read by peers posting receives
  // A std::mutex, not absl::Mutex: ThreadSanitizer sees its locking even over a system abseil
  // built without it (the engine tests run under TSan).
  std::mutex mu_;
  bool aborted_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status cause_ ABSL_GUARDED_BY(mu_);
  // Receives posted by this member, and messages sent to it that no receive has matched yet.
  KeyedQueues<PendingRecv> recvs_ ABSL_GUARDED_BY(mu_);
  KeyedQueues<PendingSend> unexpected_ ABSL_GUARDED_BY(mu_);
};

InProcFabric::InProcFabric(int size) {
  for (int rank = 0; rank < size; ++rank) {
    members_.push_back(std::make_unique<Member>(this, rank));
  }
}

InProcFabric::~InProcFabric() = default;

Transport* InProcFabric::member(int rank) { return members_.at(rank).get(); }

}  // namespace ultracc::transport::inproc
