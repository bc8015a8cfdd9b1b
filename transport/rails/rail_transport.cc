// Striping messages over rails; see rail_transport.h.
#include "transport/rails/rail_transport.h"

#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"

namespace ultracc::transport::rails {
namespace {

// A message in flight as parts: completes the caller's request when the last part is done, with
// the first part's error if any (naming the rail). Deletes itself then.
struct StripedMessage {
  StripedMessage(Request* whole, size_t parts, uint64_t tag)
      : whole(whole), parts(new Request[parts]), remaining(static_cast<int>(parts)), tag(tag) {}

  static void OnPartDone(void* arg) {
    auto* part = static_cast<PartRef*>(arg);
    StripedMessage* message = part->message;
    const absl::Status& status = message->parts[part->index].status();
    if (!status.ok()) {
      absl::MutexLock lock(&message->mu);
      if (message->error.ok()) {
        message->error = absl::Status(
            status.code(), absl::StrCat("rail ", part->index, ": ", status.message()));
      }
    }
    if (message->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      absl::Status result;
      {
        absl::MutexLock lock(&message->mu);
        result = message->error;
      }
      Request* whole = message->whole;
      delete message;
      whole->Complete(std::move(result));
    }
  }

  struct PartRef {
    StripedMessage* message;
    size_t index;
  };

  Request* whole;
  std::unique_ptr<Request[]> parts;
  std::vector<PartRef> refs;
  std::atomic<int> remaining;
  uint64_t tag;
  absl::Mutex mu;
  absl::Status error;
};

constexpr size_t kPartAlignment = 64;

}  // namespace

RailTransport::RailTransport(std::vector<std::unique_ptr<ConnectableTransport>> rails,
                             size_t stripe_min_bytes)
    : rails_(std::move(rails)), stripe_min_bytes_(std::max<size_t>(stripe_min_bytes, 1)) {}

RailTransport::~RailTransport() { rails_.clear(); }

std::string RailTransport::Name() const {
  return absl::StrCat(rails_[0]->Name(), " x", rails_.size(), " rails");
}

std::string RailTransport::address() const {
  std::vector<std::string> parts;
  parts.reserve(rails_.size());
  for (const auto& rail : rails_) parts.push_back(rail->address());
  return absl::StrJoin(parts, " ");
}

absl::Status RailTransport::Connect(const std::vector<std::string>& addresses,
                                    absl::Time deadline) {
  const size_t k = rails_.size();
  std::vector<std::vector<std::string>> by_rail(k, std::vector<std::string>(addresses.size()));
  for (size_t member = 0; member < addresses.size(); ++member) {
    std::vector<std::string> parts = absl::StrSplit(addresses[member], ' ', absl::SkipEmpty());
    if (parts.size() != k) {
      return absl::InvalidArgumentError(absl::StrCat(
          "rank ", Rank(), " has ", k, " rails but rank ", member, " advertises ", parts.size(),
          " (every member must use the same number of rails)"));
    }
    for (size_t r = 0; r < k; ++r) by_rail[r][member] = std::move(parts[r]);
  }
  for (size_t r = 0; r < k; ++r) {
    if (absl::Status s = rails_[r]->Connect(by_rail[r], deadline); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("rail ", r, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

size_t RailTransport::PartStart(size_t bytes, size_t k) const {
  if (k >= rails_.size()) return bytes;
  // bytes * k / rails without overflow for any size_t bytes, rounded down to the alignment.
  const size_t n = rails_.size();
  const size_t start = bytes / n * k + bytes % n * k / n;
  return start / kPartAlignment * kPartAlignment;
}

template <typename Post>
void RailTransport::Stripe(uint64_t tag, size_t bytes, Request* request, Post post) {
  const size_t k = rails_.size();
  if (k == 1 || bytes < stripe_min_bytes_) {
    post(*rails_[tag % k], 0, bytes, request);
    return;
  }
  auto* message = new StripedMessage(request, k, tag);
  message->refs.resize(k);
  for (size_t r = 0; r < k; ++r) {
    message->refs[r] = {message, r};
    message->parts[r].SetOnDone(&StripedMessage::OnPartDone, &message->refs[r]);
  }
  // Read nothing of `message` after the last post: its completion may delete it.
  Request* parts = message->parts.get();
  for (size_t r = 0; r < k; ++r) {
    const size_t begin = PartStart(bytes, r), end = PartStart(bytes, r + 1);
    post(*rails_[r], begin, end - begin, &parts[r]);
  }
}

void RailTransport::PostSend(int peer, uint64_t tag, const void* data, size_t bytes,
                             Request* request) {
  const char* base = static_cast<const char*>(data);
  Stripe(tag, bytes, request, [&](Transport& rail, size_t offset, size_t n, Request* r) {
    rail.PostSend(peer, tag, base == nullptr ? nullptr : base + offset, n, r);
  });
}

void RailTransport::PostRecv(int peer, uint64_t tag, void* data, size_t bytes, Request* request) {
  char* base = static_cast<char*>(data);
  Stripe(tag, bytes, request, [&](Transport& rail, size_t offset, size_t n, Request* r) {
    rail.PostRecv(peer, tag, base == nullptr ? nullptr : base + offset, n, r);
  });
}

absl::Status RailTransport::RegisterRegion(const void* base, size_t bytes) {
  for (const auto& rail : rails_) {
    if (absl::Status s = rail->RegisterRegion(base, bytes); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void RailTransport::Abort(const absl::Status& cause) {
  for (const auto& rail : rails_) rail->Abort(cause);
}

}  // namespace ultracc::transport::rails
