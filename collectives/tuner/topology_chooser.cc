// The tuner's cached, model-driven choice; see topology_chooser.h.
#include "collectives/tuner/topology_chooser.h"

#include <bit>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace ultracc::collectives::tuner {
namespace {

constexpr int kBucketBits = 3;  // significant bits a bucket keeps: four buckets per power of two

std::string Bytes(size_t bytes) {
  if (bytes >= (size_t{1} << 20) && bytes % (size_t{1} << 10) == 0) {
    return absl::StrFormat("%g MiB", static_cast<double>(bytes) / (1 << 20));
  }
  if (bytes >= (size_t{1} << 10)) return absl::StrFormat("%g KiB", bytes / 1024.0);
  return absl::StrFormat("%d B", bytes);
}

}  // namespace

std::string DescribeChoice(const TunedChoice& choice) {
  std::vector<std::string> others;
  for (const Prediction& p : choice.candidates) {
    others.push_back(absl::StrFormat("%s %.2f us", AlgorithmName(p.algorithm), p.seconds() * 1e6));
  }
  const std::string slice =
      choice.chosen.slice_bytes > 0
          ? absl::StrFormat(" in slices of %s", Bytes(choice.chosen.slice_bytes))
          : std::string();
  return absl::StrFormat("%s of %s..%s among %d members: %s%s, predicted %.2f us (%s)",
                         CollectiveKindName(choice.collective), Bytes(choice.bucket_bytes),
                         Bytes(choice.next_bucket_bytes), choice.chosen.ranks,
                         AlgorithmName(choice.chosen.algorithm), slice,
                         choice.chosen.seconds() * 1e6, absl::StrJoin(others, ", "));
}

absl::StatusOr<std::shared_ptr<TopologyChooser>> TopologyChooser::Create(
    const topology::Topology& topology, const RankLayout& layout, Observer on_new_choice) {
  absl::StatusOr<CostModel> model = CostModel::Create(topology, layout);
  if (!model.ok()) return model.status();
  return std::shared_ptr<TopologyChooser>(
      new TopologyChooser(*std::move(model), std::move(on_new_choice)));
}

size_t TopologyChooser::BucketOf(size_t bytes) {
  const int width = std::bit_width(bytes);
  if (width <= kBucketBits) return bytes;
  const size_t keep = ~size_t{0} << (width - kBucketBits);
  return bytes & keep;
}

absl::StatusOr<TunedChoice> TopologyChooser::Compute(CollectiveKind kind, size_t bucket) const {
  TunedChoice choice;
  choice.collective = kind;
  choice.bucket_bytes = bucket;
  const int width = std::bit_width(bucket);
  choice.next_bucket_bytes =
      width <= kBucketBits ? bucket + 1 : bucket + (size_t{1} << (width - kBucketBits));
  bool have = false;
  for (Algorithm algorithm : CostModel::Candidates(kind)) {
    absl::StatusOr<Prediction> p = model_.Predict(kind, algorithm, bucket);
    if (!p.ok()) return p.status();
    choice.candidates.push_back(*p);
    // Ties go to the earlier candidate, as CostModel::Cheapest.
    if (!have || p->seconds() < choice.chosen.seconds()) choice.chosen = *p;
    have = true;
  }
  if (!have) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s has no algorithm to choose", CollectiveKindName(kind)));
  }
  return choice;
}

absl::StatusOr<TunedChoice> TopologyChooser::Decide(CollectiveKind kind,
                                                    size_t message_bytes) const {
  const size_t bucket = BucketOf(message_bytes);
  const std::pair<int, size_t> key{static_cast<int>(kind), bucket};
  {
    absl::MutexLock lock(&mu_);
    if (auto it = choices_.find(key); it != choices_.end()) return it->second;
  }
  absl::StatusOr<TunedChoice> choice = Compute(kind, bucket);
  if (!choice.ok()) return choice.status();
  bool inserted = false;
  {
    absl::MutexLock lock(&mu_);
    inserted = choices_.try_emplace(key, *choice).second;
  }
  // Two threads may both compute a new bucket; only the one that stored it reports it.
  if (inserted && on_new_choice_) on_new_choice_(*choice);
  return choice;
}

size_t TopologyChooser::SliceBytes(CollectiveKind kind, size_t message_bytes, int participants,
                                   Algorithm algorithm) const {
  if (participants != model_.ranks()) return 0;
  absl::StatusOr<Prediction> p = model_.Predict(kind, algorithm, BucketOf(message_bytes));
  return p.ok() ? p->slice_bytes : 0;
}

absl::StatusOr<Algorithm> TopologyChooser::Choose(CollectiveKind kind, size_t message_bytes,
                                                  int participants) const {
  if (participants != model_.ranks()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("the tuner was set up for %d members, asked about %s among %d",
                        model_.ranks(), CollectiveKindName(kind), participants));
  }
  {
    absl::MutexLock lock(&mu_);
    auto it =
        choices_.find(std::pair<int, size_t>{static_cast<int>(kind), BucketOf(message_bytes)});
    if (it != choices_.end()) return it->second.chosen.algorithm;
  }
  absl::StatusOr<TunedChoice> choice = Decide(kind, message_bytes);
  if (!choice.ok()) return choice.status();
  return choice->chosen.algorithm;
}

}  // namespace ultracc::collectives::tuner
