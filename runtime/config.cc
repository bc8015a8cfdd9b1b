// Reading ULTRACC_* settings; see config.h.
#include "runtime/config.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/topology/topology_source.h"
#include "transport/factory/transport_kinds.h"

namespace ultracc {
namespace {

using Lookup = std::function<std::optional<std::string>(const std::string&)>;

constexpr int kMaxOfiRails = 16;

template <typename T>
absl::Status ReadNumber(const Lookup& lookup, const std::string& name, T min_value, T* out) {
  std::optional<std::string> text = lookup(name);
  if (!text || text->empty()) return absl::OkStatus();
  T value;
  if (!absl::SimpleAtoi(*text, &value) || value < min_value) {
    return absl::InvalidArgumentError(absl::StrCat("environment variable ", name, "='", *text,
                                                   "' is not an integer >= ", min_value));
  }
  *out = value;
  return absl::OkStatus();
}

// A 0/1 variable; unset keeps *out.
absl::Status ReadFlag(const Lookup& lookup, const std::string& name, bool* out) {
  int value = *out ? 1 : 0;
  if (auto s = ReadNumber<int>(lookup, name, 0, &value); !s.ok()) return s;
  if (value > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("environment variable ", name, "='", value, "' is not 0 or 1"));
  }
  *out = value == 1;
  return absl::OkStatus();
}

absl::Status ReadOptionalInt(const Lookup& lookup, const std::string& name,
                             std::optional<int>* out) {
  if (!lookup(name)) return absl::OkStatus();
  int value = 0;
  if (auto s = ReadNumber<int>(lookup, name, 0, &value); !s.ok()) return s;
  *out = value;
  return absl::OkStatus();
}

// ULTRACC_EMULATE_LINKS: a positive rate in GB/s, and only with a topology whose links it keeps.
absl::Status ReadLinkEmulation(const Lookup& lookup, Config* c) {
  std::optional<std::string> text = lookup("ULTRACC_EMULATE_LINKS");
  if (!text || text->empty()) return absl::OkStatus();
  double gbps = 0;
  if (!absl::SimpleAtod(*text, &gbps) || !(gbps > 0) || gbps > 1e6) {
    return absl::InvalidArgumentError(absl::StrCat("environment variable ULTRACC_EMULATE_LINKS='",
                                                   *text, "' is not a rate in GB/s above 0"));
  }
  if (c->topology == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("environment variable ULTRACC_EMULATE_LINKS='", *text,
                     "' needs ULTRACC_TOPOLOGY: the links are held to its levels' ratios"));
  }
  c->emulate_links_gbps = gbps;
  return absl::OkStatus();
}

absl::Status ReadTopology(const Lookup& lookup, Config* c) {
  std::optional<std::string> spec = lookup("ULTRACC_TOPOLOGY");
  if (!spec || spec->empty()) return absl::OkStatus();
  absl::StatusOr<topology::Topology> loaded = topology::LoadTopology(*spec);
  if (!loaded.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("environment variable ULTRACC_TOPOLOGY='", *spec,
                                                   "': ", loaded.status().message()));
  }
  c->topology_spec = *spec;
  c->topology = std::make_shared<const topology::Topology>(*std::move(loaded));
  return absl::OkStatus();
}

absl::Status ReadDebug(const Lookup& lookup, Config* c) {
  std::optional<std::string> text = lookup("ULTRACC_DEBUG");
  if (!text) return absl::OkStatus();
  for (absl::string_view part : absl::StrSplit(*text, ',', absl::SkipWhitespace())) {
    const std::string subsystem = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(part));
    if (subsystem == "TUNING") {
      c->debug_tuning = true;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("environment variable ULTRACC_DEBUG='", *text,
                                                     "': unknown subsystem '", part,
                                                     "'; valid: TUNING"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Config> Config::Parse(const Lookup& lookup) {
  Config c;
  for (auto [name, field] : {std::pair{"ULTRACC_RANK", &c.rank},
                             std::pair{"ULTRACC_WORLD_SIZE", &c.world_size},
                             std::pair{"ULTRACC_LOCAL_RANK", &c.local_rank},
                             std::pair{"ULTRACC_LOCAL_SIZE", &c.local_size},
                             std::pair{"ULTRACC_NODE_RANK", &c.node_rank}}) {
    if (auto s = ReadOptionalInt(lookup, name, field); !s.ok()) return s;
  }
  c.daemon_socket = lookup("ULTRACC_DAEMON_SOCKET").value_or("");
  c.job_id = lookup("ULTRACC_JOB_ID").value_or("");
  c.job_token = lookup("ULTRACC_JOB_TOKEN").value_or("");
  c.store_address = lookup("ULTRACC_STORE_ADDRESS").value_or("");
  int64_t timeout_ms = absl::ToInt64Milliseconds(c.timeout);
  if (auto s = ReadNumber<int64_t>(lookup, "ULTRACC_TIMEOUT_MS", 1, &timeout_ms); !s.ok()) {
    return s;
  }
  c.timeout = absl::Milliseconds(timeout_ms);
  if (auto host = lookup("ULTRACC_BOOTSTRAP_HOST"); host && !host->empty()) {
    c.bootstrap_host = *host;
  }
  if (auto s = ReadNumber<size_t>(lookup, "ULTRACC_ARENA_BYTES", 1 << 20, &c.arena_bytes);
      !s.ok()) {
    return s;
  }
  if (auto s = ReadNumber<size_t>(lookup, "ULTRACC_SLICE_BYTES", 4096, &c.slice_bytes); !s.ok()) {
    return s;
  }
  if (auto s = ReadNumber<size_t>(lookup, "ULTRACC_BOARD_BYTES", 0, &c.board_bytes); !s.ok()) {
    return s;
  }
  if (auto s = ReadFlag(lookup, "ULTRACC_SHARE_HOST", &c.share_host); !s.ok()) return s;
  if (auto s = ReadNumber<int>(lookup, "ULTRACC_LOG_LEVEL", 0, &c.log_level); !s.ok()) return s;
  if (auto s = ReadFlag(lookup, "ULTRACC_CHECK_CALLS", &c.check_calls); !s.ok()) return s;
  if (auto name = lookup("ULTRACC_TRANSPORT"); name && !name->empty()) {
    if (!transport::IsTransportKind(*name)) {
      return absl::InvalidArgumentError(absl::StrCat("environment variable ULTRACC_TRANSPORT='",
                                                     *name, "' is not one of ",
                                                     transport::TransportKinds()));
    }
    c.transport = *name;
  }
  c.ofi_provider = lookup("ULTRACC_OFI_PROVIDER").value_or("");
  if (auto s = ReadNumber<int>(lookup, "ULTRACC_OFI_RAILS", 1, &c.ofi_rails); !s.ok()) return s;
  if (auto s = ReadFlag(lookup, "ULTRACC_OFI_MR_LOCAL", &c.ofi_mr_local); !s.ok()) return s;
  if (c.ofi_rails > kMaxOfiRails) {
    return absl::InvalidArgumentError(absl::StrCat("environment variable ULTRACC_OFI_RAILS='",
                                                   c.ofi_rails, "' is more than ", kMaxOfiRails));
  }
  if (auto name = lookup("ULTRACC_ALGO"); name && !name->empty()) {
    absl::StatusOr<collectives::Algorithm> algorithm = collectives::ParseAlgorithm(*name);
    if (!algorithm.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("environment variable ULTRACC_ALGO: ", algorithm.status().message()));
    }
    c.algorithm = *algorithm;
  }
  if (auto s = ReadTopology(lookup, &c); !s.ok()) return s;
  if (auto s = ReadLinkEmulation(lookup, &c); !s.ok()) return s;
  if (auto s = ReadDebug(lookup, &c); !s.ok()) return s;
  return c;
}

absl::StatusOr<Config> Config::FromEnvironment() { return FromEnvironmentWith({}); }

absl::StatusOr<Config> Config::FromEnvironmentWith(
    const std::map<std::string, std::string>& overrides) {
  return Parse([&](const std::string& name) -> std::optional<std::string> {
    if (auto it = overrides.find(name); it != overrides.end()) return it->second;
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  });
}

}  // namespace ultracc
