// Setup, argument checks and the hand-off to the progress thread; see ofi_transport.h.
#include "transport/ofi/ofi_transport.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "transport/ofi/ofi_message.h"

namespace ultracc::transport::ofi {

absl::StatusOr<std::unique_ptr<OfiTransport>> OfiTransport::Open(const OfiOptions& options) {
  if (options.size < 1 || options.rank < 0 || options.rank >= options.size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ofi: rank ", options.rank, " is out of range for a group of size ", options.size));
  }
  absl::StatusOr<FiInfoPtr> info = SelectProvider(options.provider);
  if (!info.ok()) return info.status();
  std::unique_ptr<OfiTransport> transport(new OfiTransport(options));
  absl::StatusOr<std::unique_ptr<OfiDomain>> domain = OfiDomain::Open(*std::move(info));
  if (!domain.ok()) return domain.status();
  transport->domain_ = *std::move(domain);
  absl::StatusOr<std::unique_ptr<OfiEndpoint>> endpoint = OfiEndpoint::Open(*transport->domain_);
  if (!endpoint.ok()) return endpoint.status();
  transport->endpoint_ = *std::move(endpoint);

  const fi_info* fi = transport->domain_->info();
  transport->registrations_ =
      std::make_unique<RegistrationCache>(transport->domain_->domain(), transport->endpoint_->ep(),
                                          fi->domain_attr->mr_mode, options.always_register);
  size_t segment = fi->ep_attr->max_msg_size;
  if (options.max_segment_bytes > 0) segment = std::min(segment, options.max_segment_bytes);
  segment = std::min(segment, kLongestSegment);
  transport->segment_bytes_ = std::max<size_t>(segment, 1);
  ProgressSettings settings;
  settings.rank = options.rank;
  settings.size = options.size;
  settings.segment_bytes = transport->segment_bytes_;
  settings.inject_bytes = std::min(fi->tx_attr->inject_size, transport->segment_bytes_);
  settings.heartbeat_interval = options.heartbeat_interval;
  settings.peer_timeout = options.peer_timeout;
  transport->engine_ = std::make_unique<ProgressEngine>(settings, transport->endpoint_.get(),
                                                        transport->registrations_.get());
  return transport;
}

OfiTransport::~OfiTransport() = default;

absl::Status OfiTransport::Connect(const std::vector<std::string>& addresses, absl::Time deadline) {
  if (addresses.size() != static_cast<size_t>(options_.size)) {
    return absl::InvalidArgumentError(
        absl::StrCat("ofi rank ", options_.rank, ": Connect got ", addresses.size(),
                     " addresses for a group of size ", options_.size));
  }
  if (connect_called_) {
    return absl::FailedPreconditionError(
        absl::StrCat("ofi rank ", options_.rank, ": Connect called twice"));
  }
  connect_called_ = true;
  // The AV is written here, before the progress thread reads it: Connect hands over the fi_addrs.
  absl::StatusOr<std::vector<fi_addr_t>> peers = endpoint_->InsertPeers(addresses);
  if (!peers.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ofi rank ", options_.rank, ": ", peers.status().message()));
  }
  engine_->Connect(*std::move(peers));
  return engine_->WaitForPeers(deadline);
}

absl::Status OfiTransport::RegisterRegion(const void* base, size_t bytes) {
  return registrations_->Register(base, bytes);
}

void OfiTransport::PostSend(int peer, uint64_t tag, const void* data, size_t bytes,
                            Request* request) {
  if (absl::Status status = CheckPeer(peer, "send to", data == nullptr && bytes > 0);
      !status.ok()) {
    request->Complete(std::move(status));
    return;
  }
  engine_->PostSend(peer, tag, data, bytes, request);
}

void OfiTransport::PostRecv(int peer, uint64_t tag, void* data, size_t bytes, Request* request) {
  if (absl::Status status = CheckPeer(peer, "receive from", data == nullptr && bytes > 0);
      !status.ok()) {
    request->Complete(std::move(status));
    return;
  }
  engine_->PostRecv(peer, tag, data, bytes, request);
}

void OfiTransport::Abort(const absl::Status& cause) {
  // An OK cause would make failed requests look successful.
  engine_->Abort(cause.ok() ? absl::CancelledError(absl::StrCat("ofi rank ", options_.rank,
                                                                ": aborted without a cause"))
                            : cause);
}

absl::Status OfiTransport::CheckPeer(int peer, const char* operation, bool null_data) const {
  if (peer < 0 || peer >= options_.size || peer == options_.rank) {
    return absl::InvalidArgumentError(
        absl::StrCat("ofi rank ", options_.rank, ": cannot ", operation, " peer rank ", peer,
                     " (group size ", options_.size, "; a member cannot address itself)"));
  }
  if (null_data) {
    return absl::InvalidArgumentError(absl::StrCat("ofi rank ", options_.rank, ": ", operation,
                                                   " peer rank ", peer,
                                                   " with a null buffer and a non-zero size"));
  }
  return absl::OkStatus();
}

}  // namespace ultracc::transport::ofi
