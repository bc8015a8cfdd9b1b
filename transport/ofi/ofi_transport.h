// The ofi transport: libfabric reliable-datagram endpoints (EFA where present; tcp and shm
// providers elsewhere) carrying the Transport interface's tagged messages.
//
// Setup is two-step like TcpTransport: Open() creates the endpoint and reports address() (the
// hex of fi_getname); Connect() takes every member's address, fills the address vector and
// returns once every peer has been heard from.
//
// Tags: the interface's 64-bit tag is the libfabric tag, unchanged and matched on all bits
// (providers offering fewer tag bits are refused at Open). Nothing else rides in the tag. A
// message is sent as consecutive segments of at most 1 MiB (or the provider's max_msg_size)
// under the same tag, each carrying the message's total size as remote CQ data. The receiver
// keeps at most one receive per (peer, tag) posted with the provider: the first segment's CQ
// data tells the sender's size, then the remaining segments are posted, and only when the
// message is complete does the next receive of that (peer, tag) go to the provider. With
// FI_ORDER_SAS every libfabric message under a tag from a peer therefore belongs to the receive
// that is posted, so matching is exact and same-tag FIFO holds. No receive can truncate (see
// ofi_message.h): a first receive shorter than a segment has an overflow sink behind it, so a
// size mismatch fails the receive naming both sizes, and the rest of the sender's message is
// drained into the sink, keeping later messages under that tag aligned.
//
// Progress: one thread per transport (ofi_progress.h) posts every operation and reads the CQ,
// polling a few times, then blocking in poll() on the CQ's wait fd (after fi_trywait) and an
// eventfd that posters write. It sleeps after very few empty polls: on two cores a polling
// thread takes the CPU from the ranks it serves, which cost more latency than waking does.
//
// Peer loss: RDM endpoints rarely report a dead peer, so members exchange heartbeats (untagged
// 8-byte messages, apart from the tagged traffic). A peer that has requests pending and is silent
// for peer_timeout, or whose heartbeat send fails, is lost: its requests fail with Unavailable.
//
// Multi-rail (several endpoints striped per message) is a layer over this transport:
// transport/rails/rail_transport.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "transport/ofi/ofi_endpoint.h"
#include "transport/ofi/ofi_fabric.h"
#include "transport/ofi/ofi_progress.h"
#include "transport/ofi/ofi_registration_cache.h"
#include "transport/transport.h"

namespace ultracc::transport::ofi {

struct OfiOptions {
  int rank = 0;
  int size = 1;
  // libfabric provider as fi_info names it ("efa", "tcp;ofi_rxm", "shm", "sockets"; "tcp" means
  // "tcp;ofi_rxm"). Empty: efa if present, else tcp, else sockets.
  std::string provider;
  // Largest libfabric message; 0 keeps the provider's max_msg_size. Larger messages are segmented.
  size_t max_segment_bytes = 0;
  // Register buffers even when the provider does not ask for FI_MR_LOCAL.
  bool always_register = false;
  absl::Duration heartbeat_interval = absl::Milliseconds(200);
  // A peer that has requests pending and is silent this long is declared lost.
  absl::Duration peer_timeout = absl::Seconds(10);
};

// Concurrency: public methods may be called from any thread; all endpoint work happens on the
// progress thread (see ProgressEngine). Connect is called once, from one thread.
class OfiTransport final : public ConnectableTransport {
 public:
  static absl::StatusOr<std::unique_ptr<OfiTransport>> Open(const OfiOptions& options);
  // Fails pending requests with Cancelled and releases every libfabric resource.
  ~OfiTransport() override;

  // This member's endpoint name, printable, for peers' Connect.
  std::string address() const override { return endpoint_->name(); }
  // Inserts every member's address (indexed by rank) and waits until each peer has been heard
  // from, or `deadline` (then DeadlineExceeded naming the silent ranks). Requests may be posted
  // before; they flow once the addresses are in.
  absl::Status Connect(const std::vector<std::string>& addresses, absl::Time deadline) override;

  // Buffers inside the region get registrations that are kept (see ofi_registration_cache.h).
  absl::Status RegisterRegion(const void* base, size_t bytes) override;

  // The provider in use, e.g. "tcp;ofi_rxm"; the segment size; registrations made so far.
  std::string provider() const { return domain_->provider_name(); }
  size_t segment_bytes() const { return segment_bytes_; }
  size_t registrations() const { return registrations_->registrations(); }

  // "ofi:" and the provider, e.g. "ofi:tcp;ofi_rxm".
  std::string Name() const override { return "ofi:" + provider(); }
  int Rank() const override { return options_.rank; }
  int Size() const override { return options_.size; }
  void PostSend(int peer, uint64_t tag, const void* data, size_t bytes, Request* request) override;
  void PostRecv(int peer, uint64_t tag, void* data, size_t bytes, Request* request) override;
  void Abort(const absl::Status& cause) override;

 private:
  explicit OfiTransport(const OfiOptions& options) : options_(options) {}
  absl::Status CheckPeer(int peer, const char* operation, bool null_data) const;

  const OfiOptions options_;
  size_t segment_bytes_ = 0;
  bool connect_called_ = false;
  // Destroyed bottom-up: the progress thread first, the domain last.
  std::unique_ptr<OfiDomain> domain_;
  std::unique_ptr<OfiEndpoint> endpoint_;
  std::unique_ptr<RegistrationCache> registrations_;
  std::unique_ptr<ProgressEngine> engine_;
};

}  // namespace ultracc::transport::ofi
