// The report of `ultracc info`; see info_command.h.
#include "tools/info/info_command.h"

#include <rdma/fabric.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collectives/algorithm.h"
#include "runtime/config.h"
#include "transport/ofi/fabric_library.h"
#include "transport/ofi/ofi_fabric.h"

namespace ultracc::info {
namespace {

std::string Version(uint32_t version) {
  return absl::StrCat(FI_MAJOR(version), ".", FI_MINOR(version));
}

std::string AlgorithmAt(collectives::CollectiveKind kind, size_t bytes, int ranks) {
  absl::StatusOr<collectives::Algorithm> a =
      collectives::ChooseAlgorithm(kind, bytes, ranks, collectives::Algorithm::kAuto);
  return a.ok() ? std::string(collectives::AlgorithmName(*a)) : "?";
}

}  // namespace

int RunInfo(const InfoOptions& options) {
  absl::StatusOr<Config> config = Config::FromEnvironment();
  if (!config.ok()) {
    std::printf("ultracc info: %s\n", std::string(config.status().message()).c_str());
    return 1;
  }
  const std::string provider =
      options.ofi_provider.empty() ? config->ofi_provider : options.ofi_provider;
  const int rails = options.ofi_rails > 0 ? options.ofi_rails : config->ofi_rails;

  std::printf("ultracc 0.1.0\n\n");
  std::printf("libfabric\n");
  const std::string built_against = Version(FI_VERSION(FI_MAJOR_VERSION, FI_MINOR_VERSION));
  absl::StatusOr<const transport::ofi::FabricLibrary*> library =
      transport::ofi::LoadFabricLibrary();
  if (!library.ok()) {
    std::printf("  library version      not loadable (built against %s): %s\n",
                built_against.c_str(), std::string(library.status().message()).c_str());
  } else {
    std::printf("  library version      %s (built against %s)\n",
                Version((*library)->version()).c_str(), built_against.c_str());
  }
  std::vector<std::string> all = transport::ofi::ListProviders();
  std::printf("  providers            %s\n", all.empty() ? "none" : absl::StrJoin(all, ", ").c_str());
  std::vector<std::string> usable = transport::ofi::ListUsableProviders();
  std::printf("  usable by ofi        %s (tagged RDM, 64 tag bits, 8-byte CQ data)\n",
              usable.empty() ? "none" : absl::StrJoin(usable, ", ").c_str());
  absl::StatusOr<transport::ofi::FiInfoPtr> chosen = transport::ofi::SelectProvider(provider);
  const std::string chosen_name =
      chosen.ok() ? std::string((*chosen)->fabric_attr->prov_name) : std::string();
  std::printf("  a job would use      %s%s\n",
              chosen.ok() ? chosen_name.c_str() : std::string(chosen.status().message()).c_str(),
              provider.empty() ? " (default order: efa, tcp;ofi_rxm, sockets)"
                               : absl::StrCat(" (asked for '", provider, "')").c_str());
  if (chosen.ok()) {
    const fi_info* i = chosen->get();
    const size_t max_msg = i->ep_attr->max_msg_size;
    std::printf("  its limits           max message %s, inject %zu B, mr_mode 0x%x\n",
                max_msg == SIZE_MAX ? "unlimited" : absl::StrCat(max_msg, " B").c_str(),
                i->tx_attr->inject_size, static_cast<unsigned>(i->domain_attr->mr_mode));
  }

  const int world = options.nodes * options.chips_per_node;
  std::printf("\nlaunch --nodes %d --chips-per-node %d --transport %s\n", options.nodes,
              options.chips_per_node, options.transport.c_str());
  std::printf("  ranks                %d, node-major (rank = node * %d + chip)\n", world,
              options.chips_per_node);
  std::printf("  within a node        the node daemon reduces and copies in shared-memory arenas\n");
  bool usable_transport = true;
  if (options.nodes == 1) {
    std::printf("  between nodes        none (one node)\n");
  } else if (options.transport == "ofi") {
    usable_transport = chosen.ok();
    std::printf("  between nodes        ofi over %s, %d rail%s%s\n",
                chosen.ok() ? chosen_name.c_str() : "(no provider)", rails, rails == 1 ? "" : "s",
                rails > 1 ? ", messages >= 256 KiB striped" : "");
  } else if (options.transport == "tcp") {
    std::printf("  between nodes        tcp, one socket per node pair on %s\n",
                config->bootstrap_host.c_str());
  } else if (options.transport == "shm") {
    std::printf("  between nodes        shm, a ring per node pair in shared memory (one host)\n");
  } else {
    std::printf("  between nodes        shm between nodes on one host, tcp on %s across hosts\n",
                config->bootstrap_host.c_str());
  }
  std::printf("  split communicators  rank to rank over %s\n", options.transport.c_str());
  std::printf("  algorithms           (ULTRACC_ALGO=%s) at 1 KiB / 1 MiB per rank:\n",
              std::string(collectives::AlgorithmName(config->algorithm)).c_str());
  using collectives::CollectiveKind;
  for (CollectiveKind kind :
       {CollectiveKind::kAllReduce, CollectiveKind::kReduceScatter, CollectiveKind::kAllGather,
        CollectiveKind::kAllToAll, CollectiveKind::kBroadcast, CollectiveKind::kReduce}) {
    std::printf("    %-18s %s / %s (across nodes)\n",
                std::string(collectives::CollectiveKindName(kind)).c_str(),
                AlgorithmAt(kind, 1024, options.nodes).c_str(),
                AlgorithmAt(kind, size_t{1} << 20, options.nodes).c_str());
  }
  if (!usable_transport) {
    std::printf("\nultracc info: --transport ofi cannot run here: %s\n",
                std::string(chosen.status().message()).c_str());
    return 1;
  }
  return 0;
}

}  // namespace ultracc::info
