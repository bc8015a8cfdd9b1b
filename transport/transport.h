// The one interface every transport implements: tagged, asynchronous send/recv of byte ranges
// between the members of a fixed peer group, with completions the caller waits on.
//
// Algorithms never see this interface; the collective executor is its only user.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/completion.h"

namespace ultracc::transport {

// A send or receive in flight. Owned by the caller, who must keep it (and the buffer) alive until
// `Wait` returns or the transport is destroyed.
using Request = Completion;

// Ordering guarantee: messages between one pair of peers with the same tag are matched in the
// order they were posted. Messages with different tags may be matched in any order.
class Transport {
 public:
  virtual ~Transport() = default;

  // Short name for messages and logs, e.g. "tcp".
  virtual std::string Name() const = 0;
  // This member's index in the peer group, and the group's size.
  virtual int Rank() const = 0;
  virtual int Size() const = 0;

  // Starts sending `bytes` from `data` to `peer` under `tag`. `data` must stay valid and unchanged
  // until `request` completes. A zero-byte message is legal and still matches a receive.
  virtual void PostSend(int peer, uint64_t tag, const void* data, size_t bytes,
                        Request* request) = 0;
  // Starts receiving exactly `bytes` from `peer` under `tag` into `data`. A message of another size
  // completes the request with an error that names both sizes.
  virtual void PostRecv(int peer, uint64_t tag, void* data, size_t bytes, Request* request) = 0;

  // Fails every pending and future request with `cause` (used on abort and on fatal peer loss).
  virtual void Abort(const absl::Status& cause) = 0;

  // Declares [base, base + bytes) stable: mapped, with the same pages, while the transport lives
  // (an arena). A transport may then prepare buffers inside it once instead of per message (ofi
  // keeps their memory registrations). Nothing to do for most transports.
  virtual absl::Status RegisterRegion(const void* base, size_t bytes) {
    (void)base;
    (void)bytes;
    return absl::OkStatus();
  }
};

// A transport whose members meet in two steps, with a rendezvous in between: each member opens
// one and publishes address(), then passes every member's address (indexed by rank) to Connect,
// which returns once this member can reach every other, or fails naming who could not be reached
// by `deadline`. Requests may be posted before Connect returns; they flow once connected.
class ConnectableTransport : public Transport {
 public:
  virtual std::string address() const = 0;
  virtual absl::Status Connect(const std::vector<std::string>& addresses, absl::Time deadline) = 0;
};

}  // namespace ultracc::transport
