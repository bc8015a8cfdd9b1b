// The snake ring through torus nodes; see ring_order.h.
#include "collectives/tuner/ring_order.h"

#include <vector>

namespace ultracc::collectives::tuner {
namespace {

// The chip at step `i` of the snake through a torus of `dims` (slowest dimension first): the
// reflected mixed-radix walk, whose consecutive steps differ by one in one coordinate.
int SnakeChip(int i, const std::vector<int>& dims) {
  int chip = 0, outer = 0;  // outer: how many times the slower dimensions have stepped
  int stride = 1;
  for (int d : dims) stride *= d;
  for (size_t k = 0; k < dims.size(); ++k) {
    stride /= dims[k];
    const int q = i / stride;
    int digit = q % dims[k];
    if (k > 0 && outer % 2 == 1) digit = dims[k] - 1 - digit;
    outer = q;
    chip = chip * dims[k] + digit;
  }
  return chip;
}

}  // namespace

RingOrder TopologyRingOrder(const topology::Topology& topology, const RankLayout& layout) {
  const topology::TopologyLevel& node = topology.level(topology::LevelKind::kNode);
  if (layout.chips_per_rank != 1 || !node.has_links ||
      node.links.shape() != proto::LevelSpec::TORUS) {
    return {};
  }
  absl::StatusOr<RankHierarchy> hierarchy = RankHierarchy::Create(topology, layout);
  if (!hierarchy.ok()) return {};
  const int chips = hierarchy->level(0).members;
  std::vector<int> dims(node.links.torus_dims().begin(), node.links.torus_dims().end());
  int product = 1;
  for (int d : dims) product *= d;
  if (dims.empty() || product != chips || chips != node.members) return {};
  const int nodes = hierarchy->ranks() / chips;
  std::vector<int> members;
  members.reserve(static_cast<size_t>(hierarchy->ranks()));
  for (int n = 0; n < nodes; ++n) {
    for (int i = 0; i < chips; ++i) {
      const int step = n % 2 == 0 ? i : chips - 1 - i;
      members.push_back(n * chips + SnakeChip(step, dims));
    }
  }
  absl::StatusOr<RingOrder> order = RingOrder::Of(std::move(members));
  return order.ok() ? *std::move(order) : RingOrder();
}

}  // namespace ultracc::collectives::tuner
