// Ranks that are threads of one process, meeting through memory: every member of a communicator
// whose ranks all live in this process joins one InProcFabric, found in a process-wide table by
// the communicator's key, and a message is a memcpy between their buffers. Frameworks that drive
// several chips from one process (and tests that run ranks as threads) get memory speed instead of
// loopback sockets.
//
// address() names this process (a random token drawn once per process); Connect refuses an
// address of any other process, so a group that spans processes must use a network transport.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "transport/inproc/inproc_fabric.h"
#include "transport/transport.h"

namespace ultracc::transport::inproc {

// This process's token, the same from every thread: "process-<16 hex digits>".
std::string ProcessToken();

class ProcessLinks final : public ConnectableTransport {
 public:
  // Joins the fabric of `key` (creating it for the first member) as `rank` of `size`. Fails if
  // the fabric was made for another size or `rank` has joined already.
  static absl::StatusOr<std::unique_ptr<ProcessLinks>> Join(const std::string& key, int rank,
                                                             int size);
  ~ProcessLinks() override;

  std::string address() const override { return ProcessToken(); }
  absl::Status Connect(const std::vector<std::string>& addresses, absl::Time deadline) override;

  std::string Name() const override { return "memory"; }
  int Rank() const override { return member_->Rank(); }
  int Size() const override { return member_->Size(); }
  void PostSend(int peer, uint64_t tag, const void* data, size_t bytes, Request* request) override {
    member_->PostSend(peer, tag, data, bytes, request);
  }
  void PostRecv(int peer, uint64_t tag, void* data, size_t bytes, Request* request) override {
    member_->PostRecv(peer, tag, data, bytes, request);
  }
  void Abort(const absl::Status& cause) override { member_->Abort(cause); }

 private:
  ProcessLinks(std::shared_ptr<InProcFabric> fabric, Transport* member)
      : fabric_(std::move(fabric)), member_(member) {}
  std::shared_ptr<InProcFabric> fabric_;  // shared by the members; freed with the last
  Transport* member_;                     // owned by fabric_
};

}  // namespace ultracc::transport::inproc
