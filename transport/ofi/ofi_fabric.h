// Provider choice and the fabric/domain pair of the ofi transport.
//
// A provider is named as fi_info prints it ("efa", "tcp;ofi_rxm", "shm", "sockets"). With no name
// the transport takes efa when fi_getinfo offers it, else tcp (RDM through ofi_rxm), else sockets.
// Every candidate must offer reliable-datagram endpoints with tagged messages, directed receives,
// same-tag send-after-send ordering, 8-byte remote CQ data and 64 usable tag bits (see
// ofi_transport.h for why those), and receives of two iovecs (see ofi_message.h).
#pragma once

#include <rdma/fabric.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "transport/ofi/fabric_library.h"

namespace ultracc::transport::ofi {

struct FiInfoDeleter {
  void operator()(fi_info* info) const { LoadedFabricLibrary().freeinfo(info); }
};
using FiInfoPtr = std::unique_ptr<fi_info, FiInfoDeleter>;

// Closes any libfabric object through its fid.
struct FidDeleter {
  void operator()(fid* object) const { fi_close(object); }
};

// The libfabric error text of a negative return code, e.g. "Resource temporarily unavailable".
std::string FiErrorText(int code);

// Every provider libfabric reports on this host, whatever it offers, each once (none when
// libfabric cannot be loaded).
std::vector<std::string> ListProviders();

// Providers that offer what the transport needs, as fi_info names them, without duplicates (none
// when libfabric cannot be loaded).
std::vector<std::string> ListUsableProviders();

// The fi_info of `provider` ("" picks the default), or NotFound listing the usable providers, or
// Unavailable when libfabric cannot be loaded.
absl::StatusOr<FiInfoPtr> SelectProvider(const std::string& provider);

// An open fabric and its domain; closes the domain, then the fabric, when destroyed.
struct DomainFids {
  DomainFids() = default;
  ~DomainFids();
  DomainFids(const DomainFids&) = delete;
  DomainFids& operator=(const DomainFids&) = delete;

  fid_fabric* fabric = nullptr;
  fid_domain* domain = nullptr;
};

// An open fabric and domain over one fi_info. They close when the OfiDomain and every endpoint
// opened on it are gone: an endpoint may outlive its OfiDomain (see OfiEndpoint).
class OfiDomain {
 public:
  static absl::StatusOr<std::unique_ptr<OfiDomain>> Open(FiInfoPtr info);
  OfiDomain(const OfiDomain&) = delete;
  OfiDomain& operator=(const OfiDomain&) = delete;

  const fi_info* info() const { return info_.get(); }
  fid_domain* domain() const { return fids_->domain; }
  fid_fabric* fabric() const { return fids_->fabric; }
  // Keeps the fabric and domain open while held.
  std::shared_ptr<const DomainFids> fids() const { return fids_; }
  std::string provider_name() const { return info_->fabric_attr->prov_name; }

 private:
  explicit OfiDomain(FiInfoPtr info)
      : info_(std::move(info)), fids_(std::make_shared<DomainFids>()) {}
  FiInfoPtr info_;
  std::shared_ptr<DomainFids> fids_;
};

}  // namespace ultracc::transport::ofi
