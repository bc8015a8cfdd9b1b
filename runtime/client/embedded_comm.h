// Embedded mode: this process is its own node and runs the collective engine in-process, with a
// TCP transport to the other ranks found through the unique id's rendezvous store.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "collectives/node_engine.h"
#include "runtime/client/communicator.h"
#include "runtime/client/unique_id.h"
#include "runtime/config.h"
#include "transport/transport.h"

namespace ultracc::client {

class EmbeddedComm final : public Communicator {
 public:
  // Joins the communicator: publishes this rank's transport address, reads every other rank's,
  // connects. Errors name the rank that did not show up and the value that disagreed.
  static absl::StatusOr<std::unique_ptr<EmbeddedComm>> Create(int nranks, int rank,
                                                              const UniqueIdFields& id,
                                                              const Config& config);
  ~EmbeddedComm() override;

 protected:
  absl::Status DoAllReduce(uint64_t sequence, const AllReduceArgs& args,
                           absl::Time deadline) override;
  absl::Status DoFinalize(absl::Time deadline) override;
  void DoAbort() override;

 private:
  EmbeddedComm(int rank, int size, absl::Duration timeout) : Communicator(rank, size, timeout) {}

  std::unique_ptr<transport::Transport> transport_;  // null for a single rank
  std::unique_ptr<collectives::NodeEngine> engine_;
};

}  // namespace ultracc::client
