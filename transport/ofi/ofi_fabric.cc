// fi_getinfo hints, provider fallback order and the fabric/domain lifetime; see ofi_fabric.h.
#include "transport/ofi/ofi_fabric.h"

#include <rdma/fi_domain.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_tagged.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ultracc::transport::ofi {
namespace {

constexpr uint32_t kApiVersion = FI_VERSION(1, 17);
constexpr const char* kDefaultOrder[] = {"efa", "tcp;ofi_rxm", "sockets"};

FiInfoPtr Hints(const FabricLibrary& library, const std::string& provider) {
  FiInfoPtr hints(library.dupinfo(nullptr));  // what fi_allocinfo does
  hints->caps = FI_TAGGED | FI_MSG | FI_SEND | FI_RECV | FI_DIRECTED_RECV;
  hints->mode = FI_CONTEXT | FI_CONTEXT2;
  hints->ep_attr->type = FI_EP_RDM;
  // Segments of one message and same-tag messages must be matched in the order they were sent.
  hints->tx_attr->msg_order = FI_ORDER_SAS;
  hints->rx_attr->msg_order = FI_ORDER_SAS;
  hints->domain_attr->threading = FI_THREAD_SAFE;
  // Every mode the registration cache can satisfy; the provider keeps the ones it needs.
  hints->domain_attr->mr_mode =
      FI_MR_LOCAL | FI_MR_VIRT_ADDR | FI_MR_ALLOCATED | FI_MR_PROV_KEY | FI_MR_ENDPOINT;
  if (!provider.empty()) hints->fabric_attr->prov_name = strdup(provider.c_str());
  return hints;
}

// Why `info` cannot serve the transport, or "" if it can.
std::string Unfit(const fi_info& info) {
  // A first receive may be the caller's buffer topped up with the overflow sink (ofi_message.h).
  if (info.rx_attr->iov_limit < 2) {
    return absl::StrCat("receives of ", info.rx_attr->iov_limit, " iovec (needs 2)");
  }
  if (info.domain_attr->cq_data_size < 8) {
    return absl::StrCat("remote CQ data of ", info.domain_attr->cq_data_size, " bytes (needs 8)");
  }
  const uint64_t format = info.ep_attr->mem_tag_format;
  if (format != 0 && !(format >> 63)) {
    return absl::StrCat("only ", 64 - __builtin_clzll(format), " tag bits (needs 64)");
  }
  return "";
}

FiInfoPtr GetInfo(const FabricLibrary& library, const std::string& provider, std::string* why_not) {
  FiInfoPtr hints = Hints(library, provider);
  fi_info* found = nullptr;
  if (library.getinfo(kApiVersion, nullptr, nullptr, 0, hints.get(), &found) != 0 || !found) {
    return nullptr;
  }
  FiInfoPtr list(found);
  for (fi_info* info = found; info; info = info->next) {
    std::string unfit = Unfit(*info);
    if (unfit.empty()) return FiInfoPtr(library.dupinfo(info));
    if (why_not) *why_not = unfit;
  }
  return nullptr;
}

// The providers fi_getinfo reports for `hints` (null: all), as fi_info names them, each once;
// with `usable_only`, those the transport can use.
std::vector<std::string> ProviderNames(const FabricLibrary& library, const fi_info* hints,
                                       bool usable_only) {
  std::vector<std::string> names;
  fi_info* found = nullptr;
  if (library.getinfo(kApiVersion, nullptr, nullptr, 0, hints, &found) != 0) return names;
  FiInfoPtr list(found);
  for (fi_info* info = found; info; info = info->next) {
    std::string name = info->fabric_attr->prov_name;
    if ((!usable_only || Unfit(*info).empty()) &&
        std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(name);
    }
  }
  return names;
}

}  // namespace

std::string FiErrorText(int code) {
  return LoadedFabricLibrary().strerror(code < 0 ? -code : code);
}

std::vector<std::string> ListProviders() {
  absl::StatusOr<const FabricLibrary*> library = LoadFabricLibrary();
  if (!library.ok()) return {};
  return ProviderNames(**library, nullptr, false);
}

std::vector<std::string> ListUsableProviders() {
  absl::StatusOr<const FabricLibrary*> library = LoadFabricLibrary();
  if (!library.ok()) return {};
  FiInfoPtr hints = Hints(**library, "");
  return ProviderNames(**library, hints.get(), true);
}

absl::StatusOr<FiInfoPtr> SelectProvider(const std::string& provider) {
  absl::StatusOr<const FabricLibrary*> loaded = LoadFabricLibrary();
  if (!loaded.ok()) return loaded.status();
  const FabricLibrary& library = **loaded;
  std::string why_not;
  if (provider.empty()) {
    for (const char* name : kDefaultOrder) {
      if (FiInfoPtr info = GetInfo(library, name, nullptr)) return info;
    }
  } else {
    if (FiInfoPtr info = GetInfo(library, provider, &why_not)) return info;
    // libfabric 1.17 serves RDM over tcp and verbs only through the ofi_rxm utility layer.
    if (provider.find(';') == std::string::npos) {
      if (FiInfoPtr info = GetInfo(library, provider + ";ofi_rxm", &why_not)) return info;
    }
  }
  std::vector<std::string> usable = ListUsableProviders();
  return absl::NotFoundError(absl::StrCat(
      "ofi: no libfabric provider fits ",
      provider.empty() ? "the default order (efa, tcp;ofi_rxm, sockets)" : "'" + provider + "'",
      why_not.empty() ? "" : " (" + why_not + ")",
      "; providers offering tagged RDM endpoints here: ",
      usable.empty() ? "none" : absl::StrJoin(usable, ", ")));
}

absl::StatusOr<std::unique_ptr<OfiDomain>> OfiDomain::Open(FiInfoPtr info) {
  std::unique_ptr<OfiDomain> domain(new OfiDomain(std::move(info)));
  fi_info* i = domain->info_.get();
  DomainFids& fids = *domain->fids_;
  if (int rc = LoadedFabricLibrary().fabric(i->fabric_attr, &fids.fabric, nullptr); rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("ofi: fi_fabric(", i->fabric_attr->prov_name, "): ", FiErrorText(rc)));
  }
  if (int rc = fi_domain(fids.fabric, i, &fids.domain, nullptr); rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("ofi: fi_domain(", i->fabric_attr->prov_name, "): ", FiErrorText(rc)));
  }
  return domain;
}

DomainFids::~DomainFids() {
  if (domain) fi_close(&domain->fid);
  if (fabric) fi_close(&fabric->fid);
}

}  // namespace ultracc::transport::ofi
