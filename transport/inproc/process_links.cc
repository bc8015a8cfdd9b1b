// The process-wide table of in-memory fabrics; see process_links.h.
#include "transport/inproc/process_links.h"

#include <mutex>
#include <random>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ultracc::transport::inproc {
namespace {

struct Entry {
  std::weak_ptr<InProcFabric> fabric;
  std::vector<bool> joined;
};

// Leaked on purpose: members may leave during static destruction.
std::mutex& TableMutex() {
  static std::mutex* mu = new std::mutex;  // std::mutex: see inproc_fabric.cc
  return *mu;
}
absl::flat_hash_map<std::string, Entry>& Table() {
  static auto* table = new absl::flat_hash_map<std::string, Entry>;
  return *table;
}

}  // namespace

std::string ProcessToken() {
  static const std::string* token = [] {
    std::random_device random;
    const uint64_t value = (uint64_t{random()} << 32) ^ random();
    return new std::string(absl::StrFormat("process-%016x", value));
  }();
  return *token;
}

absl::StatusOr<std::unique_ptr<ProcessLinks>> ProcessLinks::Join(const std::string& key, int rank,
                                                                 int size) {
  if (size < 1 || rank < 0 || rank >= size) {
    return absl::InvalidArgumentError(
        absl::StrCat("memory links: rank ", rank, " is out of range for ", size, " ranks"));
  }
  std::lock_guard<std::mutex> lock(TableMutex());
  auto& table = Table();
  // Forget fabrics whose members have all left, so the table does not grow with communicators.
  absl::erase_if(table, [](const auto& entry) { return entry.second.fabric.expired(); });
  Entry& entry = table[key];
  std::shared_ptr<InProcFabric> fabric = entry.fabric.lock();
  if (!fabric) {
    fabric = std::make_shared<InProcFabric>(size);
    entry = Entry{fabric, std::vector<bool>(size, false)};
  }
  if (fabric->size() != size) {
    return absl::InvalidArgumentError(absl::StrCat("nranks: rank ", rank, " passed ", size,
                                                   " but another rank of this process passed ",
                                                   fabric->size()));
  }
  if (entry.joined[rank]) {
    return absl::InvalidArgumentError(
        absl::StrCat("rank ", rank, " joined the communicator twice from this process"));
  }
  entry.joined[rank] = true;
  Transport* member = fabric->member(rank);
  return std::unique_ptr<ProcessLinks>(new ProcessLinks(std::move(fabric), member));
}

ProcessLinks::~ProcessLinks() = default;

absl::Status ProcessLinks::Connect(const std::vector<std::string>& addresses, absl::Time) {
  const std::string self = ProcessToken();
  for (size_t r = 0; r < addresses.size(); ++r) {
    if (addresses[r] != self) {
      return absl::FailedPreconditionError(
          absl::StrCat("memory links: rank ", r, " runs in another process (", addresses[r],
                       "); use a network transport (ULTRACC_TRANSPORT=tcp or ofi)"));
    }
  }
  if (addresses.size() != static_cast<size_t>(Size())) {
    return absl::InvalidArgumentError(absl::StrCat("memory links: ", addresses.size(),
                                                   " addresses for ", Size(), " ranks"));
  }
  return absl::OkStatus();
}

}  // namespace ultracc::transport::inproc
