// Every ULTRACC_* setting, read in this one place into a Config built at initialisation. The README
// documents the same table.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collectives/algorithm.h"
#include "runtime/topology/topology.h"

namespace ultracc {

struct Config {
  // Launch identity (set by `ultracc launch`; absent for processes started elsewhere).
  std::optional<int> rank;         // ULTRACC_RANK
  std::optional<int> world_size;   // ULTRACC_WORLD_SIZE
  std::optional<int> local_rank;   // ULTRACC_LOCAL_RANK
  std::optional<int> local_size;   // ULTRACC_LOCAL_SIZE
  std::optional<int> node_rank;    // ULTRACC_NODE_RANK
  std::string daemon_socket;       // ULTRACC_DAEMON_SOCKET: abstract Unix socket of the node daemon
  std::string job_id;              // ULTRACC_JOB_ID
  std::string job_token;           // ULTRACC_JOB_TOKEN
  std::string store_address;       // ULTRACC_STORE_ADDRESS: the job's rendezvous store (HOST:PORT)

  // Behaviour.
  absl::Duration timeout = absl::Seconds(300);  // ULTRACC_TIMEOUT_MS: bound on every wait
  std::string bootstrap_host = "127.0.0.1";     // ULTRACC_BOOTSTRAP_HOST: address to listen on
  size_t arena_bytes = size_t{8} << 30;         // ULTRACC_ARENA_BYTES: per-rank shared arena (sparse)
  size_t slice_bytes = size_t{1} << 20;         // ULTRACC_SLICE_BYTES: pipeline slice
  // ULTRACC_BOARD_BYTES: in a one-node job, collectives for which each rank reads at most this
  // many bytes of the others' inputs (and whose input fits the board's 1 MiB slots) are computed
  // by the ranks from inputs copied onto the node's call board; larger ones run over the ranks'
  // arenas (or in the daemon, for buffers outside them). 0: none on the board
  // (client/board_collectives.h).
  size_t board_bytes = size_t{64} << 10;
  // ULTRACC_SHARE_HOST: 1 (default) lets the nodes of a job that all run on one host over shm share
  // the call board and their ranks' arenas, so collectives run as in one node; 0 keeps every
  // collective between nodes in the node engines. Emulated links and a forced algorithm keep them
  // there too.
  bool share_host = true;
  int log_level = 1;                            // ULTRACC_LOG_LEVEL: 0 errors, 1 warnings, 2 info
  // ULTRACC_ALGO: force one algorithm where it applies (collectives/algorithm.h); auto elsewhere.
  collectives::Algorithm algorithm = collectives::Algorithm::kAuto;
  // ULTRACC_TOPOLOGY: a preset name or a text-format spec file (runtime/topology). When set, the
  // tuner picks each automatic algorithm from the topology's cost model instead of the size rule.
  std::string topology_spec;
  std::shared_ptr<const topology::Topology> topology;  // loaded from topology_spec; null if unset
  // ULTRACC_EMULATE_LINKS: GB/s per node of the fastest topology level the nodes' links cross;
  // when set (with ULTRACC_TOPOLOGY), each daemon holds its links to other nodes to the topology's
  // bandwidth and latency ratios at that rate (runtime/engine/link_emulation.h). 0: not shaped.
  double emulate_links_gbps = 0;
  // ULTRACC_DEBUG: comma-separated subsystems to trace; TUNING logs each new choice of the tuner
  // with its predicted time.
  bool debug_tuning = false;
  // ULTRACC_CHECK_CALLS: 1 (default) checks before every collective that all ranks made the same
  // call (engine/call_agreement.h); 0 skips the check.
  bool check_calls = true;
  // ULTRACC_TRANSPORT: what ranks of embedded mode and split communicators talk over: "auto"
  // (memory when every rank is a thread of one process, else shared memory between the processes
  // of one host and tcp between hosts), "tcp", "ofi" or "shm" (the launcher sets it from
  // --transport for every rank of a job).
  std::string transport = "auto";
  // ULTRACC_OFI_PROVIDER: libfabric provider of the ofi transport ("" = efa, else tcp, else
  // sockets). ULTRACC_OFI_RAILS: ofi endpoints per member that large messages are striped over.
  std::string ofi_provider;
  int ofi_rails = 1;
  // ULTRACC_OFI_MR_LOCAL=1: register every buffer as providers with FI_MR_LOCAL (efa) require,
  // even where the provider does not, so that path runs on tcp and shm too.
  bool ofi_mr_local = false;

  // True when the launcher started this process next to a daemon.
  bool InDaemonMode() const { return !daemon_socket.empty(); }

  // Parses the variables from `lookup` (returns nullopt for unset); errors name the variable and
  // the value that could not be used.
  static absl::StatusOr<Config> Parse(
      const std::function<std::optional<std::string>(const std::string&)>& lookup);
  // Parse() over the process environment.
  static absl::StatusOr<Config> FromEnvironment();
  // Parse() over `overrides`, falling back to the process environment.
  static absl::StatusOr<Config> FromEnvironmentWith(
      const std::map<std::string, std::string>& overrides);
};

}  // namespace ultracc
