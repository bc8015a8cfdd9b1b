// A communicator as the C API sees it: rank, size, ordered execution of operations, sequence
// numbers, errors. Two backends implement the data path: EmbeddedComm (engine in this process) and
// DaemonComm (engine in the node daemon).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "runtime/engine/collective_call.h"
#include "runtime/submission/operation.h"

namespace ultracc::client {

using submission::Operation;
using submission::OpKind;
using engine::EngineOpSeq;
using engine::kMaxCommId;
using engine::PointToPointTag;

// Thread-safe. Operations are issued in tickets (one call, or one group): Issue numbers them and
// reserves their place; Run executes a ticket once every earlier ticket of the communicator
// finished, whichever stream runs it, so every rank executes its collectives in the same order.
// Backends are called by one thread at a time.
class Communicator {
 public:
  Communicator(int rank, int size, uint32_t comm_id, absl::Duration timeout);
  virtual ~Communicator() = default;

  int rank() const { return rank_; }
  int size() const { return size_; }
  uint32_t comm_id() const { return comm_id_; }
  absl::Duration timeout() const { return timeout_; }

  // Gives `ops` their sequence numbers and returns the ticket that runs them.
  uint64_t Issue(absl::Span<Operation> ops);
  // Runs ticket `ticket`: waits for the earlier tickets, then posts its sends and receives all at
  // once and runs its collectives in order. Records the first error.
  absl::Status Run(uint64_t ticket, absl::Span<const Operation> ops);
  // ultraccCommSplit: collective over this communicator; null for ULTRACC_SPLIT_NOCOLOR.
  absl::StatusOr<std::unique_ptr<Communicator>> Split(int color, int key);
  // Waits until every issued ticket finished; then the backend's finalize. Idempotent.
  absl::Status Finalize();
  // Fails pending and future operations at once and releases the backend's links.
  void Abort();

  // The first error an operation met (OK if none).
  absl::Status async_error() const;
  // Failed calls' messages, for ultraccGetLastError.
  void set_last_error(std::string message);
  const char* last_error();

 protected:
  // One collective (sequence already set).
  virtual absl::Status DoCollective(const Operation& op, absl::Time deadline) = 0;
  // Sends and receives, all posted before any is waited for.
  virtual absl::Status DoPointToPoint(absl::Span<const Operation* const> ops,
                                      absl::Time deadline) = 0;
  // A communicator of the ranks `members` (ranks of this one, in new rank order) with id
  // `comm_id`, this rank being new rank `new_rank`. Every member calls it together.
  virtual absl::StatusOr<std::unique_ptr<Communicator>> DoSplit(const std::vector<int>& members,
                                                                int new_rank, uint32_t comm_id,
                                                                absl::Time deadline) = 0;
  virtual absl::Status DoFinalize(absl::Time deadline) = 0;
  virtual void DoAbort() = 0;

 private:
  // Waits until ticket `ticket - 1` completed.
  absl::Status AwaitTurn(uint64_t ticket, absl::Time deadline);
  void Finish(uint64_t ticket, const absl::Status& status);
  absl::Status Execute(absl::Span<const Operation> ops, absl::Time deadline);

  const int rank_;
  const int size_;
  const uint32_t comm_id_;
  const absl::Duration timeout_;
  absl::Mutex issue_mu_;
  uint64_t tickets_ ABSL_GUARDED_BY(issue_mu_) = 0;
  uint64_t collectives_ ABSL_GUARDED_BY(issue_mu_) = 0;
  std::vector<uint64_t> sends_ ABSL_GUARDED_BY(issue_mu_);     // per peer
  std::vector<uint64_t> receives_ ABSL_GUARDED_BY(issue_mu_);  // per peer
  mutable absl::Mutex mu_;
  uint64_t completed_ ABSL_GUARDED_BY(mu_) = 0;
  bool aborted_ ABSL_GUARDED_BY(mu_) = false;
  bool finalized_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  std::string last_error_returned_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ultracc::client
