// Costs of recursive halving-doubling, binomial trees, Bruck's all-to-all and the dissemination
// barrier, and the levels their rounds cross.
#include <algorithm>

#include "collectives/tuner/algorithm_costs.h"

namespace ultracc::collectives::tuner {
namespace {

int PowerOfTwoBelow(int n) {
  int p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

// Adds rounds to a cost: one message of `bytes` across `level`, optionally reduced on arrival.
class Rounds {
 public:
  explicit Rounds(const RankHierarchy& h) : h_(h) {}
  void Add(int level, double bytes, bool reduce) {
    cost_.latency_s += h_.level(level).alpha_s;
    cost_.transfer_s += bytes * h_.level(level).beta_s_per_byte;
    if (reduce) cost_.local_s += bytes * h_.reduce_s_per_byte();
  }
  void Copy(double bytes) { cost_.local_s += bytes * h_.copy_s_per_byte(); }
  const Cost& cost() const { return cost_; }

 private:
  const RankHierarchy& h_;
  Cost cost_;
};

}  // namespace

RoundLevels RoundLevels::Of(const RankHierarchy& h) {
  RoundLevels levels;
  const int n = h.ranks();
  if (n == 1) return levels;
  // Halving-doubling runs over the largest power of two; ranks 2i and 2i + 1 (i < extra) fold
  // into one virtual rank (halving_doubling.h).
  const int p = PowerOfTwoBelow(n), extra = n - p;
  const auto real = [extra](int v) { return v < extra ? 2 * v + 1 : v + extra; };
  for (int d = 1; d < p; d *= 2) {
    int level = 0;
    for (int v = 0; v < p && level < h.top(); ++v) {
      level = std::max(level, h.LevelBetween(real(v), real(v ^ d)));
    }
    levels.halving_doubling.push_back(level);
  }
  if (extra > 0) {
    levels.fold = 0;
    for (int i = 0; i < extra && levels.fold < h.top(); ++i) {
      levels.fold = std::max(levels.fold, h.LevelBetween(2 * i, 2 * i + 1));
    }
  }
  // Binomial round k: ranks r < 2^k that hold the data pair with r + 2^k (binomial_tree.h).
  for (int d = 1; d < n; d *= 2) {
    int level = 0;
    for (int r = 0; r < d && r + d < n && level < h.top(); ++r) {
      level = std::max(level, h.LevelBetween(r, r + d));
    }
    levels.binomial_tree.push_back(level);
  }
  return levels;
}

std::optional<Cost> HalvingDoublingCost(const RankHierarchy& h, const RoundLevels& rounds,
                                        CollectiveKind kind, double bytes) {
  if (kind != CollectiveKind::kAllReduce && kind != CollectiveKind::kReduceScatter &&
      kind != CollectiveKind::kAllGather) {
    return std::nullopt;
  }
  const int n = h.ranks();
  if (n == 1) return Cost{};
  const int p = PowerOfTwoBelow(n);
  const int steps = static_cast<int>(rounds.halving_doubling.size());
  const bool fold = rounds.fold >= 0;
  const double block = bytes / n;
  Rounds cost(h);
  // Before the power-of-two part an even rank of a folded pair hands over what its partner needs.
  if (fold) {
    cost.Add(rounds.fold, kind == CollectiveKind::kAllGather ? block : bytes,
             kind != CollectiveKind::kAllGather);
  }
  // Distance d moves d / p of the data: halving from p / 2 down, doubling from 1 up.
  if (kind != CollectiveKind::kAllGather) {
    for (int k = steps - 1; k >= 0; --k) {
      cost.Add(rounds.halving_doubling[k], bytes * (1 << k) / p, true);
    }
  }
  if (kind != CollectiveKind::kReduceScatter) {
    for (int k = 0; k < steps; ++k)
      cost.Add(rounds.halving_doubling[k], bytes * (1 << k) / p, false);
  }
  // Afterwards the partner hands the even rank its result.
  if (fold) {
    const double back = kind == CollectiveKind::kAllReduce       ? bytes
                        : kind == CollectiveKind::kReduceScatter ? block
                                                                 : bytes - block;
    cost.Add(rounds.fold, back, false);
  }
  return cost.cost();
}

std::optional<Cost> TreeCost(const RankHierarchy& h, const RoundLevels& rounds, CollectiveKind kind,
                             double bytes) {
  const bool up = kind == CollectiveKind::kReduce || kind == CollectiveKind::kAllReduce;
  const bool down = kind == CollectiveKind::kBroadcast || kind == CollectiveKind::kAllReduce;
  if (!up && !down) return std::nullopt;
  // Whole-buffer messages; the root is taken as rank 0 (another root shifts which pairs cross).
  Rounds cost(h);
  if (up) {
    for (int k = static_cast<int>(rounds.binomial_tree.size()) - 1; k >= 0; --k) {
      cost.Add(rounds.binomial_tree[k], bytes, true);
    }
  }
  if (down) {
    for (int level : rounds.binomial_tree) cost.Add(level, bytes, false);
  }
  return cost.cost();
}

std::optional<Cost> BruckCost(const RankHierarchy& h, CollectiveKind kind, double bytes) {
  if (kind != CollectiveKind::kAllToAll) return std::nullopt;
  const int n = h.ranks();
  if (n == 1) return Cost{};
  const double block = bytes / n;
  Rounds cost(h);
  // Exchange k moves every block whose distance has bit k set, 2^k ranks on: a shift, so some
  // rank crosses the top level. A local round packs those blocks before each exchange.
  for (int d = 1; d < n; d *= 2) {
    // Distances 0 .. n - 1 with bit d set: d of every 2d, plus the tail's excess over d.
    const int full_periods = n / (2 * d);
    const double moving = static_cast<double>(full_periods) * d + std::max(0, n % (2 * d) - d);
    cost.Copy(moving * block);
    cost.Add(h.top(), moving * block, false);
  }
  cost.Copy(bytes);  // every block to its place in the output
  return cost.cost();
}

std::optional<Cost> DisseminationBarrierCost(const RankHierarchy& h) {
  Rounds cost(h);
  for (int d = 1; d < h.ranks(); d *= 2) cost.Add(h.top(), 0, false);
  return cost.cost();
}

}  // namespace ultracc::collectives::tuner
