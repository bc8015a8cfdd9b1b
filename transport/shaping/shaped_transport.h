// Link emulation: a transport that holds every link of its member to a configured bandwidth and
// latency, so that a job on one host shows the relative cost of an emulated topology's levels (the
// switch inside an UltraServer against EFA between UltraServers). Each level is one pipe per
// member, like a NIC port: a send is released to the inner transport once the pipe has carried the
// sends before it (bytes / bandwidth each) and the level's latency has passed. Receives go straight
// through; so does a peer whose level is unlimited.
//
// Ordering: releases on one pipe never overtake each other, so messages to one peer keep the order
// they were posted in, which the inner transport then keeps per tag.
#pragma once

#include <cstddef>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "transport/transport.h"

namespace ultracc::transport::shaping {

struct LinkShape {
  absl::Duration latency = absl::ZeroDuration();
  double bytes_per_second = 0;  // <= 0: no bandwidth limit
};

class ShapedTransport final : public ConnectableTransport {
 public:
  // `level_of_peer[p]` is the index in `levels` of the link to member p (this member's own entry
  // is not used); it must have inner->Size() entries.
  ShapedTransport(std::unique_ptr<ConnectableTransport> inner, std::vector<LinkShape> levels,
                  std::vector<int> level_of_peer);
  // Fails every send still held back with Cancelled.
  ~ShapedTransport() override;

  std::string address() const override { return inner_->address(); }
  absl::Status Connect(const std::vector<std::string>& addresses, absl::Time deadline) override {
    return inner_->Connect(addresses, deadline);
  }
  std::string Name() const override { return inner_->Name() + "+shaped"; }
  int Rank() const override { return inner_->Rank(); }
  int Size() const override { return inner_->Size(); }
  void PostSend(int peer, uint64_t tag, const void* data, size_t bytes, Request* request) override;
  void PostRecv(int peer, uint64_t tag, void* data, size_t bytes, Request* request) override {
    inner_->PostRecv(peer, tag, data, bytes, request);
  }
  // Fails the held sends with `cause`, then aborts the inner transport.
  void Abort(const absl::Status& cause) override;
  absl::Status RegisterRegion(const void* base, size_t bytes) override {
    return inner_->RegisterRegion(base, bytes);
  }

 private:
  struct Held {
    absl::Time release;
    uint64_t order;  // posting order: ties on `release` keep it
    int peer;
    uint64_t tag;
    const void* data;
    size_t bytes;
    Request* request;
    bool operator>(const Held& o) const {
      return release != o.release ? release > o.release : order > o.order;
    }
  };

  void ReleaseLoop();
  // Fails and forgets every held send; call without mu_.
  void FailHeld(const absl::Status& cause);

  std::unique_ptr<ConnectableTransport> inner_;
  const std::vector<LinkShape> levels_;
  const std::vector<int> level_of_peer_;

  // std::mutex, not absl::Mutex: ThreadSanitizer sees it over the system's abseil too.
  std::mutex mu_;
  std::condition_variable wake_;  // a send arrived, or stopping
  // Under mu_:
  std::vector<absl::Time> pipe_free_;  // per level: when its pipe is idle
  std::priority_queue<Held, std::vector<Held>, std::greater<Held>> held_;
  uint64_t next_order_ = 0;
  bool stopping_ = false;
  absl::Status aborted_;
  std::thread releaser_;
};

}  // namespace ultracc::transport::shaping
