// Embedded-mode communicator; see embedded_comm.h.
#include "runtime/client/embedded_comm.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "runtime/bootstrap/store_client.h"
#include "runtime/engine/call_agreement.h"
#include "runtime/engine/collective_call.h"
#include "runtime/engine/engine_chooser.h"
#include "runtime/engine/timeout_report.h"
#include "runtime/log.h"
#include "transport/subset/subset_transport.h"
#include "transport/factory/open_transport.h"
#include "transport/inproc/process_links.h"

namespace ultracc::client {
namespace {

// Ranks to a node of the configured topology: they fill its nodes in rank order.
int RanksPerNode(const Config& config, int nranks) {
  return std::min<int>(nranks, static_cast<int>(config.topology->spec().chips_per_node()));
}

}  // namespace

EmbeddedComm::EmbeddedComm(int rank, int size, uint32_t comm_id, const Config& config,
                           std::shared_ptr<transport::Transport> links,
                           std::shared_ptr<const collectives::AlgorithmChooser> chooser)
    : Communicator(rank, size, comm_id, config.timeout), config_(config), links_(std::move(links)) {
  collectives::NodeEngineOptions engine_options;
  engine_options.node_rank = rank;
  engine_options.num_nodes = size;
  engine_options.total_ranks = size;
  engine_options.slice_bytes = config.slice_bytes;
  engine_options.transport = links_.get();
  engine_options.chooser = std::move(chooser);
  if (config.topology != nullptr) {
    engine_options.group_members =
        engine::EngineGroupMembers(config, size, RanksPerNode(config, size), 1);
    engine_options.ring_order =
        engine::EngineRingOrder(config, size, RanksPerNode(config, size), 1);
  }
  engine_ = std::make_unique<collectives::NodeEngine>(engine_options);
}

absl::StatusOr<std::unique_ptr<EmbeddedComm>> EmbeddedComm::Create(int nranks, int rank,
                                                                   const UniqueIdFields& id,
                                                                   const Config& config) {
  return Join(nranks, rank, 0, id.store_address, id.token, id.nonce, config);
}

namespace {

// Every rank's entry under `prefix`: each publishes "<nranks>|<algorithm>|<value>", so that a rank
// started with another size or another forced algorithm (which would run another schedule) is
// caught here rather than hanging later. Returns the values by rank.
absl::StatusOr<std::vector<std::string>> Exchange(bootstrap::StoreClient& store,
                                                  const std::string& prefix, int nranks, int rank,
                                                  collectives::Algorithm algorithm,
                                                  const std::string& value, absl::Time deadline) {
  const absl::string_view algorithm_name = collectives::AlgorithmName(algorithm);
  if (auto s = store.Put(absl::StrCat(prefix, rank),
                         absl::StrCat(nranks, "|", algorithm_name, "|", value));
      !s.ok()) {
    return s;
  }
  std::vector<std::string> values(nranks);
  for (int r = 0; r < nranks; ++r) {
    absl::StatusOr<std::string> entry = store.Get(absl::StrCat(prefix, r), deadline);
    if (absl::IsDeadlineExceeded(entry.status())) {
      return absl::DeadlineExceededError(absl::StrCat(
          "rank ", rank, ": rank ", r, " of ", nranks, " did not join within the timeout"));
    }
    if (!entry.ok()) return entry.status();
    std::vector<std::string> fields = absl::StrSplit(*entry, absl::MaxSplits('|', 2));
    int their_nranks = 0;
    if (fields.size() != 3 || !absl::SimpleAtoi(fields[0], &their_nranks) ||
        their_nranks != nranks) {
      return absl::InvalidArgumentError(absl::StrCat("nranks: rank ", rank, " passed ", nranks,
                                                     " but rank ", r, " passed ", fields[0]));
    }
    if (fields[1] != algorithm_name) {
      return absl::FailedPreconditionError(
          absl::StrCat("algorithm: rank ", rank, " forces \"", algorithm_name, "\" but rank ", r,
                       " forces \"", fields[1], "\" (ULTRACC_ALGO or ultraccConfig_t.algorithm)"));
    }
    values[r] = fields[2];
  }
  return values;
}

// The tuner when a topology is configured and the ranks fill its nodes (the topology's chips to a
// node, in rank order). A split communicator's ranks may not: they keep the size rule, which only
// changes speed, never results, so it is traced rather than refused.
std::shared_ptr<const collectives::AlgorithmChooser> TunerFor(const Config& config, int nranks,
                                                              int rank) {
  if (config.topology == nullptr) return nullptr;
  absl::StatusOr<std::shared_ptr<const collectives::AlgorithmChooser>> chooser =
      engine::EngineChooser(config, nranks, RanksPerNode(config, nranks), 1,
                            absl::StrCat("rank ", rank));
  if (chooser.ok()) return *std::move(chooser);
  if (config.debug_tuning) {
    LogDebug("TUNING", absl::StrCat(chooser.status().message(), "; the size rule chooses"));
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<std::unique_ptr<EmbeddedComm>> EmbeddedComm::Join(
    int nranks, int rank, uint32_t comm_id, const std::string& store_address,
    const std::string& token, const std::string& key_prefix, const Config& config) {
  std::shared_ptr<transport::Transport> links;
  if (nranks > 1) {
    absl::Time deadline = absl::Now() + config.timeout;
    bootstrap::StoreClient store(store_address, token);
    // First every rank says which process it runs in: when all are threads of this one and no
    // transport is forced, they meet through memory.
    absl::StatusOr<std::vector<std::string>> processes =
        Exchange(store, absl::StrCat(key_prefix, "/process/"), nranks, rank, config.algorithm,
                 transport::inproc::ProcessToken(), deadline);
    if (!processes.ok()) return processes.status();
    const bool one_process = std::all_of(
        processes->begin(), processes->end(),
        [](const std::string& p) { return p == transport::inproc::ProcessToken(); });
    std::unique_ptr<transport::ConnectableTransport> transport;
    std::vector<std::string> addresses;
    if (config.transport == "auto" && one_process) {
      auto joined = transport::inproc::ProcessLinks::Join(key_prefix, rank, nranks);
      if (!joined.ok()) return joined.status();
      transport = *std::move(joined);
      addresses = *std::move(processes);
    } else {
      transport::TransportSpec spec;
      spec.kind = config.transport;
      spec.rank = rank;
      spec.size = nranks;
      spec.bind_host = config.bootstrap_host;
      spec.group_key = key_prefix;
      spec.ofi_provider = config.ofi_provider;
      spec.ofi_rails = config.ofi_rails;
      spec.timeout = config.timeout;
      spec.ofi_mr_local = config.ofi_mr_local;
      auto opened = transport::OpenTransport(spec);
      if (!opened.ok()) return opened.status();
      transport = *std::move(opened);
      absl::StatusOr<std::vector<std::string>> published =
          Exchange(store, absl::StrCat(key_prefix, "/rank/"), nranks, rank, config.algorithm,
                   transport->address(), deadline);
      if (!published.ok()) return published.status();
      addresses = *std::move(published);
    }
    if (auto s = transport->Connect(addresses, deadline); !s.ok()) return s;
    links = std::shared_ptr<transport::Transport>(std::move(transport));
  }
  return std::unique_ptr<EmbeddedComm>(
      new EmbeddedComm(rank, nranks, comm_id, config, links, TunerFor(config, nranks, rank)));
}

EmbeddedComm::~EmbeddedComm() {
  if (!abandoned_.empty() && links_) {
    links_->Abort(absl::CancelledError("a communicator with unfinished transfers was destroyed"));
  }
  engine_.reset();
}

absl::Status EmbeddedComm::DoCollective(const Operation& op, absl::Time deadline) {
  engine::CollectiveCall call;
  call.kind = op.kind;
  call.count = op.count;
  call.dtype = op.dtype;
  call.op = op.op;
  call.root = op.root_or_peer;
  call.inputs = {op.send};
  call.outputs = {op.recv};
  if (op.kind == OpKind::kAllToAllv) {
    call.send_counts = {op.send_counts.data()};
    call.send_displs = {op.send_displs.data()};
    call.recv_counts = {op.recv_counts.data()};
    call.recv_displs = {op.recv_displs.data()};
  }
  engine::AgreedRun run;
  run.comm_id = comm_id();
  run.sequence = op.sequence;
  run.algorithm = config_.algorithm;
  run.check_calls = config_.check_calls;
  run.has_peers = size() > 1;
  run.links = links_.get();
  run.report_window = engine::TimeoutReportWindow(config_.timeout);
  bool links_clean = true;
  absl::Status status = engine::RunAgreedCollective(*engine_, call, absl::OkStatus(),
                                                    run, deadline, &links_clean);
  // Stop the links after a failure mid-transfer, so the peers fail now rather than at their
  // deadlines and nothing lands in the caller's buffers later.
  if (!links_clean && links_) links_->Abort(status);
  return status;
}

absl::Status EmbeddedComm::DoPointToPoint(absl::Span<const Operation* const> ops,
                                          absl::Time deadline) {
  // Messages to self pair up in order inside this exchange; the rest go through the links.
  std::vector<const Operation*> self_sends, self_recvs;
  auto requests = std::make_unique<std::deque<transport::Request>>();
  std::vector<const Operation*> posted;
  for (const Operation* op : ops) {
    const size_t bytes = op->count * collectives::DataTypeSize(op->dtype);
    if (op->root_or_peer == rank()) {
      (op->kind == OpKind::kSend ? self_sends : self_recvs).push_back(op);
      continue;
    }
    transport::Request& request = requests->emplace_back();
    posted.push_back(op);
    const uint64_t tag = PointToPointTag(comm_id(), op->sequence);
    if (op->kind == OpKind::kSend) {
      links_->PostSend(op->root_or_peer, tag, op->send, bytes, &request);
    } else {
      links_->PostRecv(op->root_or_peer, tag, op->recv, bytes, &request);
    }
  }
  absl::Status status;
  if (self_sends.size() != self_recvs.size()) {
    status = absl::FailedPreconditionError(absl::StrCat(
        "rank ", rank(), ": ", self_sends.size(), " sends to itself and ", self_recvs.size(),
        " receives from itself; each needs its partner in the same group"));
  }
  for (size_t i = 0; status.ok() && i < self_sends.size(); ++i) {
    const Operation& s = *self_sends[i];
    const Operation& r = *self_recvs[i];
    const size_t send_bytes = s.count * collectives::DataTypeSize(s.dtype);
    const size_t recv_bytes = r.count * collectives::DataTypeSize(r.dtype);
    if (send_bytes != recv_bytes) {
      status = absl::InvalidArgumentError(absl::StrCat("rank ", rank(), ": send to itself of ",
                                                       send_bytes, " bytes met a receive of ",
                                                       recv_bytes, " bytes"));
    } else if (send_bytes > 0 && s.send != r.recv) {
      std::memmove(r.recv, s.send, send_bytes);
    }
  }
  size_t i = 0;
  for (transport::Request& request : *requests) {
    if (!status.ok()) break;
    if (absl::Status s = request.Wait(deadline); !s.ok()) {
      status = absl::Status(s.code(), absl::StrCat("rank ", rank(), ": ", Describe(*posted[i]),
                                                   ": ", s.message()));
    }
    ++i;
  }
  if (!status.ok()) {
    // Whatever is still in flight points into `requests` and the user's buffers: stop the links
    // so nothing lands later, and keep the requests alive.
    if (links_) links_->Abort(status);
    abandoned_.push_back(std::move(requests));
  }
  return status;
}

absl::StatusOr<std::unique_ptr<Communicator>> EmbeddedComm::DoSplit(
    const std::vector<int>& members, int new_rank, uint32_t comm_id, absl::Time deadline) {
  std::shared_ptr<transport::Transport> links;
  if (members.size() > 1) {
    auto subset = transport::SubsetTransport::Create(links_, members);
    if (!subset.ok()) return subset.status();
    links = std::shared_ptr<transport::Transport>(std::move(*subset));
  }
  const int size = static_cast<int>(members.size());
  return std::unique_ptr<Communicator>(new EmbeddedComm(new_rank, size, comm_id, config_,
                                                        std::move(links),
                                                        TunerFor(config_, size, new_rank)));
}

absl::Status EmbeddedComm::DoFinalize(absl::Time deadline) { return absl::OkStatus(); }

void EmbeddedComm::DoAbort() {
  if (links_) links_->Abort(absl::AbortedError("communicator aborted by the application"));
}

}  // namespace ultracc::client
