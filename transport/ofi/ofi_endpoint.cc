// Endpoint, CQ and AV setup, name encoding and CQ waiting; see ofi_endpoint.h.
#include "transport/ofi/ofi_endpoint.h"

#include <poll.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace ultracc::transport::ofi {
namespace {

constexpr size_t kCqSize = 4096;

// Providers whose endpoints reach peers of the same process through shared memory they do not
// map themselves (see ofi_endpoint.h). efa hands same-host peers to shm internally and may need
// the same; that is not verified, so efa endpoints close at once as before.
bool ClosesAfterLocalPeers(const std::string& provider) { return provider == "shm"; }

// The retired endpoints of this process and, per endpoint name, how many live endpoints have it
// in their address vector. Process-wide because the provider state it guards is: every shm
// endpoint of the process can reach every other. Leaked on purpose, so that nothing is closed
// while libfabric itself is being torn down at exit.
class RetiredEndpoints {
 public:
  static RetiredEndpoints& Get() {
    static RetiredEndpoints* retired = new RetiredEndpoints();
    return *retired;
  }

  void Hold(const std::string& name) {
    absl::MutexLock lock(&mutex_);
    ++holders_[name];
  }

  // `name` stops being used and lets go of the names it held; `close` runs once no live endpoint
  // holds `name`, now or when the last holder retires.
  void Retire(const std::string& name, const std::vector<std::string>& held,
              std::function<void()> close) {
    std::vector<std::function<void()>> closable;
    {
      absl::MutexLock lock(&mutex_);
      for (const std::string& peer : held) {
        auto it = holders_.find(peer);
        if (it != holders_.end() && --it->second == 0) holders_.erase(it);
      }
      retired_.emplace_back(name, std::move(close));
      for (auto it = retired_.begin(); it != retired_.end();) {
        if (holders_.contains(it->first)) {
          ++it;
        } else {
          closable.push_back(std::move(it->second));
          it = retired_.erase(it);
        }
      }
    }
    for (auto& run : closable) run();
  }

 private:
  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, int> holders_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::pair<std::string, std::function<void()>>> retired_ ABSL_GUARDED_BY(mutex_);
};

absl::Status Failed(const char* call, const std::string& provider, int rc) {
  return absl::UnavailableError(
      absl::StrCat("ofi: ", call, " on provider ", provider, ": ", FiErrorText(rc)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<OfiEndpoint>> OfiEndpoint::Open(const OfiDomain& domain) {
  std::unique_ptr<OfiEndpoint> endpoint(new OfiEndpoint());
  if (absl::Status status = endpoint->Init(domain); !status.ok()) return status;
  return endpoint;
}

absl::Status OfiEndpoint::Init(const OfiDomain& domain) {
  const std::string provider = domain.provider_name();
  domain_fids_ = domain.fids();
  close_after_local_peers_ = ClosesAfterLocalPeers(provider);
  fi_cq_attr cq_attr{};
  cq_attr.format = FI_CQ_FORMAT_TAGGED;
  cq_attr.size = kCqSize;
  cq_attr.wait_obj = FI_WAIT_FD;
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return absl::ResourceExhaustedError("ofi: cannot create an eventfd");
  if (fi_cq_open(domain.domain(), &cq_attr, &cq_, nullptr) == 0) {
    if (fi_control(&cq_->fid, FI_GETWAIT, &cq_fd_) != 0) cq_fd_ = -1;
  } else {
    // Some providers only poll; the progress loop then sleeps in short slices instead.
    cq_attr.wait_obj = FI_WAIT_NONE;
    if (int rc = fi_cq_open(domain.domain(), &cq_attr, &cq_, nullptr); rc != 0) {
      return Failed("fi_cq_open", provider, rc);
    }
  }
  fi_av_attr av_attr{};
  av_attr.type = FI_AV_TABLE;
  if (int rc = fi_av_open(domain.domain(), &av_attr, &av_, nullptr); rc != 0) {
    return Failed("fi_av_open", provider, rc);
  }
  if (int rc = fi_endpoint(domain.domain(), const_cast<fi_info*>(domain.info()), &ep_, nullptr);
      rc != 0) {
    return Failed("fi_endpoint", provider, rc);
  }
  if (int rc = fi_ep_bind(ep_, &cq_->fid, FI_TRANSMIT | FI_RECV); rc != 0) {
    return Failed("fi_ep_bind(cq)", provider, rc);
  }
  if (int rc = fi_ep_bind(ep_, &av_->fid, 0); rc != 0)
    return Failed("fi_ep_bind(av)", provider, rc);
  if (int rc = fi_enable(ep_); rc != 0) return Failed("fi_enable", provider, rc);
  std::string raw(256, '\0');
  size_t length = raw.size();
  int rc = fi_getname(&ep_->fid, raw.data(), &length);
  if (rc == -FI_ETOOSMALL) {
    raw.resize(length);
    rc = fi_getname(&ep_->fid, raw.data(), &length);
  }
  if (rc != 0) return Failed("fi_getname", provider, rc);
  raw.resize(length);
  name_ = absl::BytesToHexString(raw);
  return absl::OkStatus();
}

OfiEndpoint::~OfiEndpoint() {
  if (wake_fd_ >= 0) close(wake_fd_);
  // The endpoint before what it is bound to (CQ, AV), and those before the domain: the lambda
  // holds the last reference to the domain and fabric unless the OfiDomain still lives.
  auto close_all = [ep = ep_, av = av_, cq = cq_, fids = std::move(domain_fids_)] {
    if (ep) fi_close(&ep->fid);
    if (av) fi_close(&av->fid);
    if (cq) fi_close(&cq->fid);
  };
  if (close_after_local_peers_) {
    RetiredEndpoints::Get().Retire(name_, inserted_, std::move(close_all));
  } else {
    close_all();
  }
}

bool OfiEndpoint::CloseEndpoint() {
  if (close_after_local_peers_) return false;
  if (ep_) fi_close(&ep_->fid);
  ep_ = nullptr;
  return true;
}

absl::StatusOr<std::vector<fi_addr_t>> OfiEndpoint::InsertPeers(
    const std::vector<std::string>& names) {
  std::vector<fi_addr_t> addresses(names.size(), FI_ADDR_NOTAVAIL);
  for (size_t rank = 0; rank < names.size(); ++rank) {
    const std::string& name = names[rank];
    const bool hex = !name.empty() && name.size() % 2 == 0 &&
                     std::all_of(name.begin(), name.end(), [](char c) { return std::isxdigit(c); });
    if (!hex) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ofi: address of rank ", rank, " is not a hex endpoint name: '", names[rank], "'"));
    }
    const std::string raw = absl::HexStringToBytes(name);
    int inserted = fi_av_insert(av_, raw.data(), 1, &addresses[rank], 0, nullptr);
    if (inserted == 1 && close_after_local_peers_) {
      inserted_.push_back(absl::AsciiStrToLower(name));  // as name() spells it
      RetiredEndpoints::Get().Hold(inserted_.back());
    }
    if (inserted != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("ofi: cannot insert the address of rank ", rank, " (", names[rank],
                       ") into the address vector: ", FiErrorText(inserted < 0 ? inserted : 0)));
    }
  }
  return addresses;
}

ssize_t OfiEndpoint::WaitAndRead(fi_cq_tagged_entry* entries, size_t count,
                                 absl::Duration timeout) {
  pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {cq_fd_, POLLIN, 0}};
  nfds_t watched = 1;
  if (cq_fd_ >= 0) {
    fid* cq = &cq_->fid;
    // fi_trywait refuses when entries are already queued; then there is nothing to wait for.
    if (fi_trywait(domain_fids_->fabric, &cq, 1) != FI_SUCCESS) {
      return fi_cq_read(cq_, entries, count);
    }
    watched = 2;
  } else {
    // Polling providers see no data arrive while we block, so their slices stay short.
    timeout = std::min(timeout, absl::Microseconds(100));
  }
  timespec slice = absl::ToTimespec(timeout);
  if (ppoll(fds, watched, &slice, nullptr) > 0 && (fds[0].revents & POLLIN)) {
    uint64_t value;
    while (read(wake_fd_, &value, sizeof(value)) > 0) {
    }
  }
  return fi_cq_read(cq_, entries, count);
}

void OfiEndpoint::Signal() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t written = write(wake_fd_, &one, sizeof(one));
}

}  // namespace ultracc::transport::ofi
