// The shared-memory transport: members that run on one host (processes of one kernel, in one
// network and pid namespace) exchange messages through each other's memfd segments.
//
// Each member creates its segment (shm_layout.h) when opened, and its address names the host, the
// process and the segment's fd; a peer maps the segment through /proc/<pid>/fd, so nothing is
// left behind in any filesystem whichever way the processes end. A send copies its chunks into
// the receiver's ring for it; the receiver copies them into the posted receive. A message whose
// receive is not posted yet waits in the ring, unless a receive for another message of that peer
// is posted (it may be behind it): then it moves to a buffer kept for its receive. Small messages
// complete at once on the posting thread when the ring has room; the rest is moved by one progress
// thread per member that spins briefly when it runs out of work and then sleeps on a futex in its
// own segment.
//
// Loss: a member that aborts or is destroyed marks its segment closed, and a process that exits
// is noticed through a pidfd. Either way the survivors deliver what had already arrived and fail
// the rest of their requests with that member (Unavailable) named, without waiting for deadlines.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "transport/transport.h"

namespace ultracc::transport::shm {

struct ShmOptions {
  int rank = 0;
  int size = 1;
  // Members must be opened with the same key (job and communicator); a segment of another group
  // is refused when connecting.
  std::string group_key;
};

// This host's identity as shm sees it: members with equal tokens can map each other's segments.
// Built from the kernel's boot id and the network and pid namespaces, so emulated hosts in
// separate network namespaces count as separate hosts.
std::string HostToken();
// The host token in an address of this transport, or an error naming the malformed address.
absl::StatusOr<std::string> HostOfAddress(absl::string_view address);

class ShmTransport final : public ConnectableTransport {
 public:
  // Creates this member's segment and starts its progress thread.
  static absl::StatusOr<std::unique_ptr<ShmTransport>> Open(const ShmOptions& options);
  // Marks the segment closed (peers fail what they wait for from us), fails pending requests with
  // Cancelled and joins the progress thread.
  ~ShmTransport() override;

  // "shm:<host token>:<pid>:<fd>".
  std::string address() const override;
  // Maps every peer's segment whose address is not empty. A peer on another host, a segment of
  // another group or size, or a process that cannot be reached fails naming the peer. Peers with
  // an empty address are not connected (a router sends to them another way).
  absl::Status Connect(const std::vector<std::string>& addresses, absl::Time deadline) override;

  std::string Name() const override { return "shm"; }
  int Rank() const override;
  int Size() const override;
  void PostSend(int peer, uint64_t tag, const void* data, size_t bytes, Request* request) override;
  void PostRecv(int peer, uint64_t tag, void* data, size_t bytes, Request* request) override;
  void Abort(const absl::Status& cause) override;

  class State;

 private:
  explicit ShmTransport(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace ultracc::transport::shm
