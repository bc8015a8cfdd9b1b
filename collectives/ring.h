// Ring all-reduce: the bandwidth-optimal reduce-scatter + all-gather ring (Patarasuk & Yuan), as
// peer and offset arithmetic only. Each of the `size` ranks moves 2 (size - 1) / size of the data.
#pragma once

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "collectives/schedule.h"

namespace ultracc::collectives {

// The elements [offset, offset + count) of chunk `index` when `count` elements are cut into `parts`
// near-equal chunks: the first count % parts chunks hold one element more, so when count < parts
// the last chunks are empty.
struct ElementRange {
  size_t offset = 0;
  size_t count = 0;
};
ElementRange BalancedChunk(size_t count, int parts, int index);

// `value` reduced into [0, size): the position on a ring of `size` ranks, for offsets like
// rank - s that go negative.
int RingPosition(int value, int size);

// Who sits where on a ring: position p (taken modulo the size) holds member At(p), member m sits
// at PositionOf(m). The default is rank order; another permutation lets the ring follow physical
// links, e.g. a snake through a torus (tuner/ring_order.h).
class RingOrder {
 public:
  RingOrder() = default;  // rank order, for any size
  // InvalidArgument unless `members` is a permutation of 0 .. members.size() - 1.
  static absl::StatusOr<RingOrder> Of(std::vector<int> members);

  bool natural() const { return members_.empty(); }
  // The ring's size for a permutation; any size fits rank order.
  bool Fits(int size) const { return natural() || static_cast<int>(members_.size()) == size; }
  int At(int position, int size) const;
  int PositionOf(int member) const { return natural() ? member : positions_[member]; }
  const std::vector<int>& members() const { return members_; }

 private:
  std::vector<int> members_, positions_;
};

// The schedule of `rank` in a ring of `size` ranks all-reducing `count` elements in place in
// kOutput (whoever runs it out of place copies the input to the output first). With positions
// p = order.PositionOf(rank): rounds 0..size-2 reduce-scatter, the rank at p sending chunk p - s to
// position p + 1 and receive-reducing chunk p - s - 1 from p - 1, so it ends holding the full
// result of chunk p + 1; rounds size-1..2 size-3 circulate the finished chunks. Messages of empty
// chunks are left out on both sides. `order` must fit `size`.
Schedule RingAllReduce(int rank, int size, size_t count, const RingOrder& order = {});

}  // namespace ultracc::collectives
