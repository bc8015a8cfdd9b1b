// Embedded-mode communicator; see embedded_comm.h.
#include "runtime/client/embedded_comm.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "runtime/bootstrap/store_client.h"
#include "transport/tcp/tcp_transport.h"

namespace ultracc::client {

absl::StatusOr<std::unique_ptr<EmbeddedComm>> EmbeddedComm::Create(int nranks, int rank,
                                                                   const UniqueIdFields& id,
                                                                   const Config& config) {
  std::unique_ptr<EmbeddedComm> comm(new EmbeddedComm(rank, nranks, config.timeout));
  collectives::NodeEngineOptions engine_options;
  engine_options.node_rank = rank;
  engine_options.num_nodes = nranks;
  engine_options.total_ranks = nranks;
  engine_options.slice_bytes = config.slice_bytes;
  if (nranks > 1) {
    absl::Time deadline = absl::Now() + config.timeout;
    transport::tcp::TcpOptions tcp;
    tcp.rank = rank;
    tcp.size = nranks;
    tcp.bind_host = config.bootstrap_host;
    tcp.group_key = id.nonce;
    auto transport = transport::tcp::TcpTransport::Listen(tcp);
    if (!transport.ok()) return transport.status();
    bootstrap::StoreClient store(id.store_address, id.token);
    // Each rank publishes "<nranks>|<address>" so that a rank started with another size is
    // caught here rather than hanging later.
    const std::string prefix = absl::StrCat(id.nonce, "/rank/");
    if (auto s = store.Put(absl::StrCat(prefix, rank), absl::StrCat(nranks, "|",
                                                                    (*transport)->address()));
        !s.ok()) {
      return s;
    }
    std::vector<std::string> addresses(nranks);
    for (int r = 0; r < nranks; ++r) {
      absl::StatusOr<std::string> entry = store.Get(absl::StrCat(prefix, r), deadline);
      if (absl::IsDeadlineExceeded(entry.status())) {
        return absl::DeadlineExceededError(absl::StrCat(
            "rank ", rank, ": rank ", r, " of ", nranks, " did not join within the timeout"));
      }
      if (!entry.ok()) return entry.status();
      std::pair<std::string, std::string> fields = absl::StrSplit(*entry, absl::MaxSplits('|', 1));
      int their_nranks = 0;
      if (!absl::SimpleAtoi(fields.first, &their_nranks) || their_nranks != nranks) {
        return absl::InvalidArgumentError(absl::StrCat("nranks: rank ", rank, " passed ", nranks,
                                                       " but rank ", r, " passed ", fields.first));
      }
      addresses[r] = fields.second;
    }
    if (auto s = (*transport)->Connect(addresses, deadline); !s.ok()) return s;
    comm->transport_ = *std::move(transport);
    engine_options.transport = comm->transport_.get();
  }
  comm->engine_ = std::make_unique<collectives::NodeEngine>(engine_options);
  return comm;
}

EmbeddedComm::~EmbeddedComm() = default;

absl::Status EmbeddedComm::DoAllReduce(uint64_t sequence, const AllReduceArgs& args,
                                       absl::Time deadline) {
  const void* inputs[1] = {args.send};
  void* outputs[1] = {args.recv};
  return engine_->AllReduce(inputs, outputs, args.count, args.dtype, args.op, sequence, deadline);
}

absl::Status EmbeddedComm::DoFinalize(absl::Time deadline) { return absl::OkStatus(); }

void EmbeddedComm::DoAbort() {
  if (transport_) transport_->Abort(absl::AbortedError("communicator aborted by the application"));
}

}  // namespace ultracc::client
