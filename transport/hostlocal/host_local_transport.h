// A transport that reaches members on this host through shared memory and the others through a
// network transport, per pair, the way a job spread over hosts wants it.
//
// Each member opens both and publishes "<shm address>|<network address>". Connect compares the
// host tokens of every address: same-host pairs use shm; if every member is on one host the
// network transport is never connected (and is closed), else it connects the whole group and
// carries the pairs that cross hosts. Both ends of a pair decide from the same addresses, so they
// always agree. Requests posted before Connect wait in order until the route is known; destroying
// the transport before then fails them.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "transport/transport.h"

namespace ultracc::transport::hostlocal {

class HostLocalTransport final : public ConnectableTransport {
 public:
  HostLocalTransport(std::unique_ptr<ConnectableTransport> shm,
                     std::unique_ptr<ConnectableTransport> network);
  ~HostLocalTransport() override;

  std::string address() const override;
  absl::Status Connect(const std::vector<std::string>& addresses, absl::Time deadline) override;

  // "shm" when every member is on this host, "shm+<network>" when some are not.
  std::string Name() const override;
  int Rank() const override { return shm_->Rank(); }
  int Size() const override { return shm_->Size(); }
  void PostSend(int peer, uint64_t tag, const void* data, size_t bytes, Request* request) override;
  void PostRecv(int peer, uint64_t tag, void* data, size_t bytes, Request* request) override;
  void Abort(const absl::Status& cause) override;
  absl::Status RegisterRegion(const void* base, size_t bytes) override;

 private:
  struct Held {
    bool send;
    int peer;
    uint64_t tag;
    void* data;
    size_t bytes;
    Request* request;
  };
  Transport* Route(int peer) const;
  void Post(const Held& held);
  // Fails `held` once aborted, keeps it until Connect has routed the peers, else posts it.
  void Submit(const Held& held);

  std::unique_ptr<ConnectableTransport> shm_;
  // Kept open even when unused: Abort may reach it from another thread at any time.
  std::unique_ptr<ConnectableTransport> network_;
  std::vector<bool> local_;  // by peer, set by Connect
  bool use_network_ = true;  // false once every member is known to be on this host

  mutable std::mutex mu_;
  bool routed_ = false;  // set once Connect decided; then local_ and use_network_ are fixed
  bool aborted_ = false;
  absl::Status cause_;
  std::vector<Held> held_;  // posted before Connect, in posting order
  struct Region {
    const void* base;
    size_t bytes;
  };
  std::vector<Region> regions_;  // declared before Connect: passed on to the network transport
};

}  // namespace ultracc::transport::hostlocal
