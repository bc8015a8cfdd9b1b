// Embedded mode: this process is its own node and runs the collective engine in-process, with a
// TCP transport to the other ranks found through the unique id's rendezvous store. Communicators
// split from it share its connections through a SubsetTransport.
#pragma once

#include <deque>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "collectives/algorithm.h"
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
  // Joins communicator `comm_id` of `nranks` ranks as `rank` through the store at
  // `store_address` (token `token`), under keys starting with `key_prefix`, which must name this
  // communicator uniquely in that store. Create is Join for a unique id; daemon-mode ranks join
  // the communicators they split off the world this way.
  static absl::StatusOr<std::unique_ptr<EmbeddedComm>> Join(
      int nranks, int rank, uint32_t comm_id, const std::string& store_address,
      const std::string& token, const std::string& key_prefix, const Config& config);
  ~EmbeddedComm() override;

 protected:
  absl::Status DoCollective(const Operation& op, absl::Time deadline) override;
  absl::Status DoPointToPoint(absl::Span<const Operation* const> ops,
                              absl::Time deadline) override;
  absl::StatusOr<std::unique_ptr<Communicator>> DoSplit(const std::vector<int>& members,
                                                        int new_rank, uint32_t comm_id,
                                                        absl::Time deadline) override;
  absl::Status DoFinalize(absl::Time deadline) override;
  void DoAbort() override;

 private:
  // `links` reaches every rank of this communicator (null for a single rank).
  EmbeddedComm(int rank, int size, uint32_t comm_id, const Config& config,
               std::shared_ptr<transport::Transport> links,
               std::shared_ptr<const collectives::AlgorithmChooser> chooser);

  const Config config_;
  std::shared_ptr<transport::Transport> links_;  // members = this communicator's ranks
  std::unique_ptr<collectives::NodeEngine> engine_;
  // Requests of a failed exchange that may still complete: kept (and the links aborted) until the
  // communicator goes away.
  std::vector<std::unique_ptr<std::deque<transport::Request>>> abandoned_;
};

}  // namespace ultracc::client
