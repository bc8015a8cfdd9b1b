// Launch request checks; see launch_request.h.
#include "runtime/daemon/launch_request.h"

#include <algorithm>
#include <map>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace ultracc::daemon {
namespace {

// Job ids name abstract sockets and store keys: short, and nothing that could split either.
constexpr size_t kMaxJobIdBytes = 128;

bool IsJobIdChar(char c) { return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.'; }

}  // namespace

absl::StatusOr<Config> CheckLaunchRequest(const proto::LaunchRanksRequest& request) {
  const proto::JobSpec& job = request.job();
  if (job.job_id().empty() || job.program().empty()) {
    return absl::InvalidArgumentError("job needs a job_id and a program");
  }
  if (job.job_id().size() > kMaxJobIdBytes ||
      !std::all_of(job.job_id().begin(), job.job_id().end(), IsJobIdChar)) {
    return absl::InvalidArgumentError(absl::StrCat("job_id must be 1 to ", kMaxJobIdBytes,
                                                   " letters, digits, '-', '_' or '.'; got ",
                                                   job.job_id().size(), " bytes"));
  }
  if (job.program().find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("program contains a NUL byte");
  }
  if (job.nodes() < 1 || job.nodes() > kMaxNodes || job.chips_per_node() < 1 ||
      job.chips_per_node() > kMaxChipsPerNode) {
    return absl::InvalidArgumentError(absl::StrCat(
        "job of ", job.nodes(), " nodes of ", job.chips_per_node(), " chips; a daemon runs 1 to ",
        kMaxNodes, " nodes of 1 to ", kMaxChipsPerNode, " chips"));
  }
  const int node = request.node_rank();
  if (node < 0 || node >= job.nodes() || job.daemon_addresses_size() != job.nodes()) {
    return absl::InvalidArgumentError(absl::StrCat("node rank ", node, " with ", job.nodes(),
                                                   " nodes and ", job.daemon_addresses_size(),
                                                   " daemon addresses"));
  }
  for (const auto& [name, value] : job.env()) {
    if (name.empty() || name.find('=') != std::string::npos ||
        name.find('\0') != std::string::npos || value.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("environment entry '", absl::CEscape(name), "' cannot be set"));
    }
  }
  for (const std::string& arg : job.args()) {
    if (arg.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError("an argument contains a NUL byte");
    }
  }
  std::map<std::string, std::string> env(job.env().begin(), job.env().end());
  return Config::FromEnvironmentWith(env);
}

}  // namespace ultracc::daemon
