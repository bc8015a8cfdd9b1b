// Opening the transport a group of members (the nodes of a job, or the ranks of a communicator)
// talk over, by name: "tcp" (our own sockets), "ofi" (libfabric: efa, tcp;ofi_rxm, shm), with
// ofi optionally striped over several rails, "shm" (our shared-memory segments, members of one
// host only) or "auto" (shm between members on one host, tcp between hosts). Callers publish
// address() through their rendezvous and then Connect, the same for every kind.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "transport/factory/transport_kinds.h"
#include "transport/transport.h"

namespace ultracc::transport {

struct TransportSpec {
  std::string kind = "tcp";  // "auto", "tcp", "ofi" or "shm"
  int rank = 0;
  int size = 1;
  // tcp: the address to listen on, and the key members present in the handshake (shm checks the
  // key too).
  std::string bind_host = "127.0.0.1";
  std::string group_key;
  // ofi: the libfabric provider ("" = efa if present, else tcp, else sockets) and the endpoints
  // per member that large messages are striped over.
  std::string ofi_provider;
  int ofi_rails = 1;
  bool ofi_mr_local = false;  // register every buffer, as efa requires (see config.h)
  // The bound on every wait of the caller. ofi declares a silent peer lost after a third of it
  // (at least 2 s, at most 10 s), so a killed peer fails its survivors well within it.
  absl::Duration timeout = absl::Seconds(300);
};

// An opened, not yet connected transport; errors name the kind and what was wrong.
absl::StatusOr<std::unique_ptr<ConnectableTransport>> OpenTransport(const TransportSpec& spec);

}  // namespace ultracc::transport
