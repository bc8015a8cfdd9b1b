// Routing between shm and the network transport; see host_local_transport.h.
#include "transport/hostlocal/host_local_transport.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "transport/shm/shm_transport.h"

namespace ultracc::transport::hostlocal {
namespace {

constexpr char kSeparator = '|';

}  // namespace

HostLocalTransport::HostLocalTransport(std::unique_ptr<ConnectableTransport> shm,
                                       std::unique_ptr<ConnectableTransport> network)
    : shm_(std::move(shm)), network_(std::move(network)) {}

HostLocalTransport::~HostLocalTransport() {
  std::vector<Held> held;
  {
    std::lock_guard<std::mutex> lock(mu_);
    held.swap(held_);
  }
  for (const Held& h : held) {
    h.request->Complete(absl::CancelledError(
        absl::StrCat("rank ", Rank(), ": the transport was closed before it connected")));
  }
}

std::string HostLocalTransport::address() const {
  return absl::StrCat(shm_->address(), std::string(1, kSeparator), network_->address());
}

std::string HostLocalTransport::Name() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (routed_ && !use_network_) return shm_->Name();
  return absl::StrCat(shm_->Name(), "+", network_->Name());
}

absl::Status HostLocalTransport::Connect(const std::vector<std::string>& addresses,
                                         absl::Time deadline) {
  const int size = Size();
  if (static_cast<int>(addresses.size()) != size) {
    return absl::InvalidArgumentError(
        absl::StrCat("rank ", Rank(), ": ", addresses.size(), " addresses for a group of ", size));
  }
  std::vector<std::string> shm_addresses(size), network_addresses(size), hosts(size);
  for (int member = 0; member < size; ++member) {
    const std::string& address = addresses[member];
    const size_t cut = address.find(kSeparator);
    if (cut == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "rank ", Rank(), ": the address of member ", member, " ('", address,
          "') is not '<shm address>|<network address>': every member must use the same transport"));
    }
    shm_addresses[member] = address.substr(0, cut);
    network_addresses[member] = address.substr(cut + 1);
    absl::StatusOr<std::string> host = shm::HostOfAddress(shm_addresses[member]);
    if (!host.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("rank ", Rank(), ": member ", member, ": ", host.status().message()));
    }
    hosts[member] = *std::move(host);
  }
  const std::string& mine = hosts[Rank()];
  bool one_host = true;
  local_.assign(size, false);
  for (int member = 0; member < size; ++member) {
    local_[member] = hosts[member] == mine;
    one_host = one_host && hosts[member] == hosts[0];
    if (!local_[member]) shm_addresses[member].clear();
  }
  if (absl::Status s = shm_->Connect(shm_addresses, deadline); !s.ok()) return s;
  std::vector<Held> held;
  {
    std::lock_guard<std::mutex> lock(mu_);
    use_network_ = !one_host;
    routed_ = true;
    held.swap(held_);
  }
  // Held requests go out in posting order before any later one can overtake them: callers do not
  // post to a transport whose Connect has not returned from another thread.
  for (const Held& h : held) Post(h);
  if (!use_network_) return absl::OkStatus();
  for (const Region& region : regions_) {
    if (absl::Status s = network_->RegisterRegion(region.base, region.bytes); !s.ok()) return s;
  }
  return network_->Connect(network_addresses, deadline);
}

Transport* HostLocalTransport::Route(int peer) const {
  if (peer < 0 || peer >= Size() || local_[peer]) return shm_.get();  // shm names bad peers
  return network_.get();
}

void HostLocalTransport::Post(const Held& h) {
  Transport* to = Route(h.peer);
  if (h.send) {
    to->PostSend(h.peer, h.tag, h.data, h.bytes, h.request);
  } else {
    to->PostRecv(h.peer, h.tag, h.data, h.bytes, h.request);
  }
}

void HostLocalTransport::Submit(const Held& h) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (aborted_) return h.request->Complete(cause_);
    if (!routed_) return held_.push_back(h);
  }
  Post(h);
}

void HostLocalTransport::PostSend(int peer, uint64_t tag, const void* data, size_t bytes,
                                  Request* request) {
  Submit(Held{true, peer, tag, const_cast<void*>(data), bytes, request});
}

void HostLocalTransport::PostRecv(int peer, uint64_t tag, void* data, size_t bytes,
                                  Request* request) {
  Submit(Held{false, peer, tag, data, bytes, request});
}

void HostLocalTransport::Abort(const absl::Status& cause) {
  std::vector<Held> held;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (aborted_) return;
    aborted_ = true;
    cause_ = cause.ok() ? absl::CancelledError(absl::StrCat("rank ", Rank(), ": aborted")) : cause;
    held.swap(held_);
  }
  for (const Held& h : held) h.request->Complete(cause_);
  shm_->Abort(cause_);
  network_->Abort(cause_);
}

absl::Status HostLocalTransport::RegisterRegion(const void* base, size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!routed_) {
    regions_.push_back(Region{base, bytes});
    return absl::OkStatus();
  }
  return use_network_ ? network_->RegisterRegion(base, bytes) : absl::OkStatus();
}

}  // namespace ultracc::transport::hostlocal
