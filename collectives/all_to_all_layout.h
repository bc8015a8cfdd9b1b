// Where each peer's block lies in an all-to-all: the counts and displacements (in elements) of
// MPI_Alltoallv, shared by the all-to-all generators so the uniform and the variable form are one
// code path.
#pragma once

#include <cstddef>
#include <vector>

#include "absl/status/status.h"

namespace ultracc::collectives {

// For one rank of `size`: the block for peer j is input[send_displs[j], + send_counts[j]), and
// the block from peer j lands at output[recv_displs[j], + recv_counts[j]). A rank's entry for
// itself is its local copy. send_counts[j] of rank r must equal recv_counts[r] of rank j.
struct AllToAllLayout {
  std::vector<size_t> send_counts, send_displs, recv_counts, recv_displs;

  // One past the last input / output element any block touches.
  size_t InputExtent() const;
  size_t OutputExtent() const;
  // Where the block for / from `peer` starts; 0 for an empty block, whose displacement may lie
  // anywhere (schedules must keep every offset within the extents).
  size_t SendOffset(int peer) const { return send_counts[peer] == 0 ? 0 : send_displs[peer]; }
  size_t RecvOffset(int peer) const { return recv_counts[peer] == 0 ? 0 : recv_displs[peer]; }
};

// `count` elements per peer, blocks in peer order: displacement of peer j = j * count.
AllToAllLayout UniformAllToAllLayout(int size, size_t count);

// All four arrays have `size` entries, no block's end overflows size_t, and `rank`'s block for
// itself has the same count on both sides. The message names the array, the entry and the value.
absl::Status ValidateAllToAllLayout(const AllToAllLayout& layout, int rank, int size);

}  // namespace ultracc::collectives
