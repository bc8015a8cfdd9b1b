// Ordered execution, sequence numbers, splitting and error bookkeeping shared by both backends;
// see communicator.h.
#include "runtime/client/communicator.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace ultracc::client {
namespace {

// Communicator ids in use in this process are all below this (world communicators use 0). A split
// takes the largest proposal of its members, so the id is free on every member.
std::atomic<uint32_t> g_next_comm_id{1};

void RaiseNextCommId(uint32_t at_least) {
  uint32_t current = g_next_comm_id.load();
  while (current < at_least && !g_next_comm_id.compare_exchange_weak(current, at_least)) {
  }
}

}  // namespace

Communicator::Communicator(int rank, int size, uint32_t comm_id, absl::Duration timeout)
    : rank_(rank),
      size_(size),
      comm_id_(comm_id),
      timeout_(timeout),
      sends_(size, 0),
      receives_(size, 0) {}

uint64_t Communicator::Issue(absl::Span<Operation> ops) {
  absl::MutexLock lock(&issue_mu_);
  for (Operation& op : ops) {
    if (op.kind == OpKind::kSend) {
      op.sequence = ++sends_[op.root_or_peer];
    } else if (op.kind == OpKind::kRecv) {
      op.sequence = ++receives_[op.root_or_peer];
    } else {
      op.sequence = ++collectives_;
    }
  }
  return ++tickets_;
}

absl::Status Communicator::AwaitTurn(uint64_t ticket, absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto turn = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return aborted_ || completed_ + 1 >= ticket;
  };
  if (!mu_.AwaitWithDeadline(absl::Condition(&turn), deadline)) {
    return absl::DeadlineExceededError(
        absl::StrCat("rank ", rank_, ": an operation waited past the timeout for the one issued "
                     "before it (ticket #", completed_ + 1, ") to finish"));
  }
  if (aborted_) {
    return absl::AbortedError(absl::StrCat("rank ", rank_, ": communicator was aborted"));
  }
  return absl::OkStatus();
}

void Communicator::Finish(uint64_t ticket, const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  if (ticket > completed_) completed_ = ticket;
  if (!status.ok() && first_error_.ok()) first_error_ = status;
}

absl::Status Communicator::Execute(absl::Span<const Operation> ops, absl::Time deadline) {
  // Sends and receives first, all in flight together, so a group of them never deadlocks; then
  // the collectives, in issue order (every rank uses the same rule).
  std::vector<const Operation*> transfers;
  for (const Operation& op : ops) {
    if (IsPointToPoint(op.kind)) transfers.push_back(&op);
  }
  if (!transfers.empty()) {
    if (absl::Status s = DoPointToPoint(transfers, deadline); !s.ok()) return s;
  }
  for (const Operation& op : ops) {
    if (IsPointToPoint(op.kind)) continue;
    if (absl::Status s = DoCollective(op, deadline); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Communicator::Run(uint64_t ticket, absl::Span<const Operation> ops) {
  absl::Time deadline = absl::Now() + timeout_;
  absl::Status status = AwaitTurn(ticket, deadline);
  if (status.ok()) status = Execute(ops, deadline);
  Finish(ticket, status);
  return status;
}

absl::StatusOr<std::unique_ptr<Communicator>> Communicator::Split(int color, int key) {
  if (color < 0 && color != -1) {
    return absl::InvalidArgumentError(
        absl::StrCat("color ", color, " is negative (only ULTRACC_SPLIT_NOCOLOR, -1, is allowed)"));
  }
  // Every rank learns every rank's (color, key, proposed id) through an all-gather on this
  // communicator, in its place in the operation order.
  const int64_t mine[3] = {color, key, g_next_comm_id.load()};
  std::vector<int64_t> all(3 * static_cast<size_t>(size_));
  Operation gather;
  gather.kind = OpKind::kAllGather;
  gather.send = mine;
  gather.recv = all.data();
  gather.count = 3;
  gather.dtype = collectives::DataType::kInt64;
  uint64_t ticket = Issue(absl::MakeSpan(&gather, 1));
  if (absl::Status s = Run(ticket, absl::MakeConstSpan(&gather, 1)); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("rank ", rank_, ": split: ", s.message()));
  }
  if (color == -1) return std::unique_ptr<Communicator>();

  std::vector<std::tuple<int64_t, int>> order;  // (key, old rank) of the ranks of my color
  int64_t id = 0;
  for (int r = 0; r < size_; ++r) {
    if (all[3 * r] != color) continue;
    order.emplace_back(all[3 * r + 1], r);
    id = std::max(id, all[3 * r + 2]);
  }
  if (id > kMaxCommId) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "rank ", rank_, ": split: this process has created ", kMaxCommId, " communicators"));
  }
  std::sort(order.begin(), order.end());
  std::vector<int> members;
  int new_rank = -1;
  for (const auto& [k, r] : order) {
    if (r == rank_) new_rank = static_cast<int>(members.size());
    members.push_back(r);
  }
  RaiseNextCommId(static_cast<uint32_t>(id) + 1);
  return DoSplit(members, new_rank, static_cast<uint32_t>(id), absl::Now() + timeout_);
}

absl::Status Communicator::Finalize() {
  absl::Time deadline = absl::Now() + timeout_;
  uint64_t last;
  {
    absl::MutexLock lock(&issue_mu_);
    last = tickets_;
  }
  {
    absl::MutexLock lock(&mu_);
    if (finalized_) return first_error_;
    auto done = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return aborted_ || completed_ >= last; };
    if (!mu_.AwaitWithDeadline(absl::Condition(&done), deadline)) {
      return absl::DeadlineExceededError(absl::StrCat(
          "rank ", rank_, ": finalize waited past the timeout for ticket #", completed_ + 1));
    }
    if (aborted_) return absl::AbortedError("communicator was aborted");
    finalized_ = true;
  }
  absl::Status status = DoFinalize(deadline);
  absl::MutexLock lock(&mu_);
  return first_error_.ok() ? status : first_error_;
}

void Communicator::Abort() {
  {
    absl::MutexLock lock(&mu_);
    if (aborted_) return;
    aborted_ = true;
    if (first_error_.ok()) first_error_ = absl::AbortedError("communicator was aborted");
  }
  DoAbort();
}

absl::Status Communicator::async_error() const {
  absl::MutexLock lock(&mu_);
  return first_error_;
}

void Communicator::set_last_error(std::string message) {
  absl::MutexLock lock(&mu_);
  last_error_ = std::move(message);
}

const char* Communicator::last_error() {
  absl::MutexLock lock(&mu_);
  last_error_returned_ = last_error_;
  return last_error_returned_.c_str();
}

}  // namespace ultracc::client
