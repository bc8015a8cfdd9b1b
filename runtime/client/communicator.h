// A communicator as the C API sees it: rank, size, ordered execution of collectives, errors.
// Two backends implement the data path: EmbeddedComm (engine in this process) and DaemonComm
// (engine in the node daemon).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "collectives/datatype.h"

namespace ultracc::client {

struct AllReduceArgs {
  const void* send = nullptr;
  void* recv = nullptr;
  size_t count = 0;
  collectives::DataType dtype = collectives::DataType::kFloat32;
  collectives::RedOp op = collectives::RedOp::kSum;
};

// Thread-safe. Operations get a sequence number when issued (in the issuing thread's call order)
// and run strictly in that order, whichever stream runs them, so that every rank executes the
// same sequence. Backends are called by one thread at a time.
class Communicator {
 public:
  Communicator(int rank, int size, absl::Duration timeout)
      : rank_(rank), size_(size), timeout_(timeout) {}
  virtual ~Communicator() = default;

  int rank() const { return rank_; }
  int size() const { return size_; }
  absl::Duration timeout() const { return timeout_; }

  // Reserves the next sequence number (call order = execution order).
  uint64_t IssueSequence() { return issued_.fetch_add(1, std::memory_order_acq_rel) + 1; }
  // Runs operation `sequence` once every earlier one finished; records its error.
  absl::Status RunAllReduce(uint64_t sequence, const AllReduceArgs& args);
  // Waits until every issued operation finished; then the backend's finalize. Idempotent.
  absl::Status Finalize();
  // Fails pending and future operations at once and releases the backend's links.
  void Abort();

  // The first error an operation met (OK if none).
  absl::Status async_error() const;
  // Failed calls' messages, for ultraccGetLastError.
  void set_last_error(std::string message);
  const char* last_error();

 protected:
  virtual absl::Status DoAllReduce(uint64_t sequence, const AllReduceArgs& args,
                                   absl::Time deadline) = 0;
  virtual absl::Status DoFinalize(absl::Time deadline) = 0;
  virtual void DoAbort() = 0;

 private:
  // Waits until operation `sequence - 1` completed.
  absl::Status AwaitTurn(uint64_t sequence, absl::Time deadline);
  void Finish(uint64_t sequence, const absl::Status& status);

  const int rank_;
  const int size_;
  const absl::Duration timeout_;
  std::atomic<uint64_t> issued_{0};
  mutable absl::Mutex mu_;
  uint64_t completed_ ABSL_GUARDED_BY(mu_) = 0;
  bool aborted_ ABSL_GUARDED_BY(mu_) = false;
  bool finalized_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  std::string last_error_returned_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ultracc::client
