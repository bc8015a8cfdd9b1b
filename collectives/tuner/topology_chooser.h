// The tuner: answers a NodeEngine's kAuto choice (algorithm_chooser.h) with the algorithm the cost
// model predicts cheapest on a topology for the engine's members, instead of the size rule.
//
// Choices are made per (collective, size bucket) and cached, so the hot path is one lookup. A
// bucket holds the sizes that share their top three significant bits (four buckets per power of
// two), and its choice is the model's at the bucket's smallest size: a pure function of the
// collective and the bucket, so every member of a job answers alike whatever it ran before.
//
// Threading: Choose and Decide may be called from several threads (engines of one process may
// share a chooser); the cache is under a mutex. The observer runs outside it, once per bucket.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "collectives/algorithm_chooser.h"
#include "collectives/tuner/cost_model.h"
#include "runtime/topology/topology.h"

namespace ultracc::collectives::tuner {

// One decision: the sizes it covers, what runs, and what every candidate was predicted to take.
struct TunedChoice {
  CollectiveKind collective = CollectiveKind::kAllReduce;
  size_t bucket_bytes = 0;       // the bucket's smallest size, where the model was asked
  size_t next_bucket_bytes = 0;  // the first size of the next bucket
  Prediction chosen;
  std::vector<Prediction> candidates;  // in CostModel::Candidates order
};

// One line for the ULTRACC_DEBUG=TUNING log: collective, sizes, members, choice, predicted time
// and the alternatives' times.
std::string DescribeChoice(const TunedChoice& choice);

class TopologyChooser final : public AlgorithmChooser {
 public:
  using Observer = std::function<void(const TunedChoice&)>;

  // A chooser for the members `layout` places on `topology` (member_layout.h); `on_new_choice`
  // (may be empty) hears of each bucket's choice once, when it is first made. InvalidArgument
  // when the layout does not fit the topology.
  static absl::StatusOr<std::shared_ptr<TopologyChooser>> Create(const topology::Topology& topology,
                                                                 const RankLayout& layout,
                                                                 Observer on_new_choice = {});

  // InvalidArgument when `participants` is not the member count the chooser was made for.
  absl::StatusOr<Algorithm> Choose(CollectiveKind kind, size_t message_bytes,
                                   int participants) const override;

  // The model's slice for `algorithm` at the bucket holding `message_bytes`; 0 when the members
  // are not the chooser's or the algorithm does not run `kind`.
  size_t SliceBytes(CollectiveKind kind, size_t message_bytes, int participants,
                    Algorithm algorithm) const override;
  // The cached decision of the bucket holding `message_bytes`, made now if it is new.
  absl::StatusOr<TunedChoice> Decide(CollectiveKind kind, size_t message_bytes) const;

  const CostModel& model() const { return model_; }

  // The smallest size of the bucket holding `bytes`.
  static size_t BucketOf(size_t bytes);

 private:
  TopologyChooser(CostModel model, Observer on_new_choice)
      : model_(std::move(model)), on_new_choice_(std::move(on_new_choice)) {}

  absl::StatusOr<TunedChoice> Compute(CollectiveKind kind, size_t bucket) const;

  const CostModel model_;
  const Observer on_new_choice_;
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::pair<int, size_t>, TunedChoice> choices_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ultracc::collectives::tuner
