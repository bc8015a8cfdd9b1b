// One RDM endpoint with its completion queue and address vector, and the printable name peers
// use to reach it.
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
  // Closes the endpoint so the provider lets go of every posted buffer; the CQ stays readable.
  void CloseEndpoint();

 private:
  OfiEndpoint() = default;
  absl::Status Init(const OfiDomain& domain);

  fid_fabric* domain_fabric_ = nullptr;  // for fi_trywait
  fid_cq* cq_ = nullptr;
  fid_av* av_ = nullptr;
  fid_ep* ep_ = nullptr;
  int cq_fd_ = -1;    // the CQ's wait fd, or -1 when the provider only polls
  int wake_fd_ = -1;  // eventfd that Signal() writes
  std::string name_;
};

}  // namespace ultracc::transport::ofi
