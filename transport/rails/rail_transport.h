// Multi-rail: several member transports of one kind (one endpoint per NIC on EFA instances) used
// as one transport. A message of at least stripe_min_bytes is cut into one contiguous part per
// rail, part k on rail k under the message's tag, and completes when every part has; a smaller
// message goes whole over the rail its tag picks. Both ends compute the same cut from the size
// they pass, so reassembly is exact; each rail keeps same-tag FIFO, so the whole does too.
//
// Address: the rails' addresses joined by spaces; Connect refuses a member with another count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "transport/transport.h"

namespace ultracc::transport::rails {

class RailTransport final : public ConnectableTransport {
 public:
  // `rails` must hold at least one transport, all of the same group (rank and size).
  RailTransport(std::vector<std::unique_ptr<ConnectableTransport>> rails, size_t stripe_min_bytes);
  // Destroys the rails first, which fails their pending parts and so every pending message.
  ~RailTransport() override;

  std::string address() const override;
  absl::Status Connect(const std::vector<std::string>& addresses, absl::Time deadline) override;

  std::string Name() const override;
  int Rank() const override { return rails_[0]->Rank(); }
  int Size() const override { return rails_[0]->Size(); }
  void PostSend(int peer, uint64_t tag, const void* data, size_t bytes, Request* request) override;
  void PostRecv(int peer, uint64_t tag, void* data, size_t bytes, Request* request) override;
  void Abort(const absl::Status& cause) override;
  absl::Status RegisterRegion(const void* base, size_t bytes) override;

  size_t rails() const { return rails_.size(); }
  // Where part k of a message of `bytes` starts (k = rails() gives the end); parts are aligned
  // to 64 bytes so that each rail copies whole cache lines.
  size_t PartStart(size_t bytes, size_t k) const;

 private:
  template <typename Post>
  void Stripe(uint64_t tag, size_t bytes, Request* request, Post post);

  std::vector<std::unique_ptr<ConnectableTransport>> rails_;
  const size_t stripe_min_bytes_;
};

}  // namespace ultracc::transport::rails
