// A transport among a subset of another transport's members, renumbered 0..n-1: the links of a
// split communicator, which reuses its parent's connections instead of opening new ones. It is a
// layer over a transport (members map to the parent's ranks; tags pass through unchanged), so the
// communicators sharing the links must keep their tags apart themselves (client/communicator.h
// puts the communicator id into every tag).
//
// Abort(cause) aborts the shared links too: a message cut off half-way leaves a byte stream that
// no communicator sharing it can trust.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "transport/transport.h"

namespace ultracc::transport {

class SubsetTransport final : public Transport {
 public:
  // `members[i]` is the parent rank of new member i; the parent's own rank must be among them.
  // InvalidArgument when a member is out of range or repeated.
  static absl::StatusOr<std::unique_ptr<SubsetTransport>> Create(
      std::shared_ptr<Transport> parent, std::vector<int> members);

  std::string Name() const override { return parent_->Name(); }
  int Rank() const override { return rank_; }
  int Size() const override { return static_cast<int>(members_.size()); }
  void PostSend(int peer, uint64_t tag, const void* data, size_t bytes,
                Request* request) override;
  void PostRecv(int peer, uint64_t tag, void* data, size_t bytes, Request* request) override;
  void Abort(const absl::Status& cause) override { parent_->Abort(cause); }

 private:
  SubsetTransport(std::shared_ptr<Transport> parent, std::vector<int> members, int rank)
      : parent_(std::move(parent)), members_(std::move(members)), rank_(rank) {}
  // The parent rank of `peer`, or -1 (then `request` has been failed).
  int ParentRank(int peer, Request* request) const;

  std::shared_ptr<Transport> parent_;
  std::vector<int> members_;
  int rank_;
};

}  // namespace ultracc::transport
