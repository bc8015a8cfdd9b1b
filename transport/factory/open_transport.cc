// Transport construction by name; see open_transport.h.
#include "transport/factory/open_transport.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "transport/hostlocal/host_local_transport.h"
#include "transport/ofi/ofi_transport.h"
#include "transport/rails/rail_transport.h"
#include "transport/shm/shm_transport.h"
#include "transport/tcp/tcp_transport.h"

namespace ultracc::transport {
namespace {

constexpr int kMaxRails = 16;
// Below this a message goes over one rail: splitting it would cost more in per-message work than
// the rails' extra bandwidth gives back.
constexpr size_t kStripeMinBytes = size_t{256} << 10;

absl::StatusOr<std::unique_ptr<ConnectableTransport>> OpenOfi(const TransportSpec& spec) {
  if (spec.ofi_rails < 1 || spec.ofi_rails > kMaxRails) {
    return absl::InvalidArgumentError(absl::StrCat("ofi rails: ", spec.ofi_rails,
                                                   " is outside [1, ", kMaxRails, "]"));
  }
  ofi::OfiOptions options;
  options.rank = spec.rank;
  options.size = spec.size;
  options.provider = spec.ofi_provider;
  options.always_register = spec.ofi_mr_local;
  options.peer_timeout =
      std::clamp(spec.timeout / 3, absl::Seconds(2), absl::Seconds(10));
  std::vector<std::unique_ptr<ConnectableTransport>> rails;
  for (int r = 0; r < spec.ofi_rails; ++r) {
    absl::StatusOr<std::unique_ptr<ofi::OfiTransport>> rail = ofi::OfiTransport::Open(options);
    if (!rail.ok()) return rail.status();
    rails.push_back(*std::move(rail));
  }
  if (rails.size() == 1) return std::move(rails[0]);
  return std::make_unique<rails::RailTransport>(std::move(rails), kStripeMinBytes);
}

absl::StatusOr<std::unique_ptr<ConnectableTransport>> OpenTcp(const TransportSpec& spec) {
  tcp::TcpOptions options;
  options.rank = spec.rank;
  options.size = spec.size;
  options.bind_host = spec.bind_host;
  options.group_key = spec.group_key;
  absl::StatusOr<std::unique_ptr<tcp::TcpTransport>> transport = tcp::TcpTransport::Listen(options);
  if (!transport.ok()) return transport.status();
  return std::unique_ptr<ConnectableTransport>(*std::move(transport));
}

absl::StatusOr<std::unique_ptr<ConnectableTransport>> OpenShm(const TransportSpec& spec) {
  shm::ShmOptions options;
  options.rank = spec.rank;
  options.size = spec.size;
  options.group_key = spec.group_key;
  absl::StatusOr<std::unique_ptr<shm::ShmTransport>> transport = shm::ShmTransport::Open(options);
  if (!transport.ok()) return transport.status();
  return std::unique_ptr<ConnectableTransport>(*std::move(transport));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ConnectableTransport>> OpenTransport(const TransportSpec& spec) {
  if (spec.kind == "tcp") return OpenTcp(spec);
  if (spec.kind == "ofi") return OpenOfi(spec);
  if (spec.kind == "shm") return OpenShm(spec);
  if (spec.kind == "auto") {
    absl::StatusOr<std::unique_ptr<ConnectableTransport>> local = OpenShm(spec);
    if (!local.ok()) return local.status();
    absl::StatusOr<std::unique_ptr<ConnectableTransport>> network = OpenTcp(spec);
    if (!network.ok()) return network.status();
    return std::make_unique<hostlocal::HostLocalTransport>(*std::move(local), *std::move(network));
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown transport '", spec.kind,
                                                 "'; valid transports are ", TransportKinds()));
}

}  // namespace ultracc::transport
