// Provider choice and the fabric/domain pair of the ofi transport.
//
// A provider is named as fi_info prints it ("efa", "tcp;ofi_rxm", "shm", "sockets"). With no name
// the transport takes efa when fi_getinfo offers it, else tcp (RDM through ofi_rxm), else sockets.
// Every candidate must offer reliable-datagram endpoints with tagged messages, directed receives,
// same-tag send-after-send ordering, 8-byte remote CQ data and 64 usable tag bits (see
// ofi_transport.h for why those).
#pragma once

#include <rdma/fabric.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ultracc::transport::ofi {

struct FiInfoDeleter {
  void operator()(fi_info* info) const { fi_freeinfo(info); }
};
using FiInfoPtr = std::unique_ptr<fi_info, FiInfoDeleter>;

// Closes any libfabric object through its fid.
struct FidDeleter {
  void operator()(fid* object) const { fi_close(object); }
};

// The libfabric error text of a negative return code, e.g. "Resource temporarily unavailable".
std::string FiErrorText(int code);

// Providers that offer what the transport needs, as fi_info names them, without duplicates.
std::vector<std::string> ListUsableProviders();

// The fi_info of `provider` ("" picks the default), or NotFound listing the usable providers.
absl::StatusOr<FiInfoPtr> SelectProvider(const std::string& provider);

// An open fabric and domain over one fi_info; closes both when destroyed.
class OfiDomain {
 public:
  static absl::StatusOr<std::unique_ptr<OfiDomain>> Open(FiInfoPtr info);
  ~OfiDomain();
  OfiDomain(const OfiDomain&) = delete;
  OfiDomain& operator=(const OfiDomain&) = delete;

  const fi_info* info() const { return info_.get(); }
  fid_domain* domain() const { return domain_; }
  fid_fabric* fabric() const { return fabric_; }
  std::string provider_name() const { return info_->fabric_attr->prov_name; }

 private:
  explicit OfiDomain(FiInfoPtr info) : info_(std::move(info)) {}
  FiInfoPtr info_;
  fid_fabric* fabric_ = nullptr;
  fid_domain* domain_ = nullptr;
};

}  // namespace ultracc::transport::ofi
