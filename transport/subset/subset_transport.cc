// Subset of a transport's members; see subset_transport.h.
#include "transport/subset/subset_transport.h"

#include "absl/strings/str_cat.h"

namespace ultracc::transport {

absl::StatusOr<std::unique_ptr<SubsetTransport>> SubsetTransport::Create(
    std::shared_ptr<Transport> parent, std::vector<int> members) {
  if (parent == nullptr) return absl::InvalidArgumentError("subset of a null transport");
  std::vector<bool> seen(parent->Size(), false);
  int rank = -1;
  for (size_t i = 0; i < members.size(); ++i) {
    const int m = members[i];
    if (m < 0 || m >= parent->Size() || seen[m]) {
      return absl::InvalidArgumentError(absl::StrCat("member ", i, " is parent rank ", m,
                                                     ", out of range [0, ", parent->Size(),
                                                     ") or listed twice"));
    }
    seen[m] = true;
    if (m == parent->Rank()) rank = static_cast<int>(i);
  }
  if (rank < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("parent rank ", parent->Rank(), " is not a member of its own subset"));
  }
  return std::unique_ptr<SubsetTransport>(
      new SubsetTransport(std::move(parent), std::move(members), rank));
}

int SubsetTransport::ParentRank(int peer, Request* request) const {
  if (peer < 0 || peer >= Size()) {
    request->Complete(absl::InvalidArgumentError(
        absl::StrCat(Name(), " subset member ", rank_, ": peer ", peer, " is outside [0, ",
                     Size(), ")")));
    return -1;
  }
  return members_[peer];
}

void SubsetTransport::PostSend(int peer, uint64_t tag, const void* data, size_t bytes,
                               Request* request) {
  if (int p = ParentRank(peer, request); p >= 0) parent_->PostSend(p, tag, data, bytes, request);
}

void SubsetTransport::PostRecv(int peer, uint64_t tag, void* data, size_t bytes,
                               Request* request) {
  if (int p = ParentRank(peer, request); p >= 0) parent_->PostRecv(p, tag, data, bytes, request);
}

}  // namespace ultracc::transport
