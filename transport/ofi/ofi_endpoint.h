// One RDM endpoint with its completion queue and address vector, and the printable name peers
// use to reach it.
//
// Closing is deferred for providers whose endpoints in one process share memory. shm (libfabric
// 1.17) lets an endpoint reach a peer of the same process through a process-wide list: it sends
// straight into the peer's own shared-memory region and, when it progresses a message from that
// peer, writes the reply there. fi_close unmaps the region, so closing one endpoint while another
// of the process still has it in its address vector crashes that other endpoint (SIGSEGV inside
// libfabric on its next heartbeat or progress). Such an endpoint is therefore only retired when
// its owner lets go: it is no longer read or written, and it is closed (with its CQ, AV, domain
// and fabric) once no live endpoint of the process has inserted its name. Peers in other
// processes map the region themselves and are unaffected.
#pragma once

#include <rdma/fabric.h>
#include <rdma/fi_domain.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "transport/ofi/ofi_fabric.h"

namespace ultracc::transport::ofi {

// Not thread-safe apart from Signal(): the progress thread owns the endpoint once it runs.
// Destroying it closes or retires it (see above); retired endpoints are shared state of the
// process, guarded by their own lock.
class OfiEndpoint {
 public:
  static absl::StatusOr<std::unique_ptr<OfiEndpoint>> Open(const OfiDomain& domain);
  ~OfiEndpoint();
  OfiEndpoint(const OfiEndpoint&) = delete;
  OfiEndpoint& operator=(const OfiEndpoint&) = delete;

  fid_ep* ep() const { return ep_; }
  fid_cq* cq() const { return cq_; }
  // fi_getname as lowercase hex, what peers pass to InsertPeers.
  const std::string& name() const { return name_; }

  // Inserts every peer's name (indexed by rank) into the address vector; returns their fi_addrs.
  absl::StatusOr<std::vector<fi_addr_t>> InsertPeers(const std::vector<std::string>& names);

  // fi_cq_read, but first blocks until an entry may be there, Signal() is called or `timeout`
  // passes. Providers without a CQ wait fd get a short sleep instead (woken by Signal() all the
  // same). Returns like fi_cq_read.
  ssize_t WaitAndRead(fi_cq_tagged_entry* entries, size_t count, absl::Duration timeout);
  void Signal();
  // Closes the endpoint so the provider lets go of every posted buffer, and returns true; the CQ
  // stays readable. Returns false, closing nothing, when the close must wait until the endpoint
  // is destroyed and its peers in this process are gone; the caller then must neither read the
  // CQ nor post again, so that the provider makes no more progress on this endpoint.
  bool CloseEndpoint();

 private:
  OfiEndpoint() = default;
  absl::Status Init(const OfiDomain& domain);

  std::shared_ptr<const DomainFids> domain_fids_;  // open while the endpoint is
  bool close_after_local_peers_ = false;           // see the file comment
  std::vector<std::string> inserted_;              // names put in the AV, for that deferral
  fid_cq* cq_ = nullptr;
  fid_av* av_ = nullptr;
  fid_ep* ep_ = nullptr;
  int cq_fd_ = -1;    // the CQ's wait fd, or -1 when the provider only polls
  int wake_fd_ = -1;  // eventfd that Signal() writes
  std::string name_;
};

}  // namespace ultracc::transport::ofi
