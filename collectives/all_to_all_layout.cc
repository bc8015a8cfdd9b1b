// All-to-all layouts: extents, the uniform layout, validation.
#include "collectives/all_to_all_layout.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_format.h"

namespace ultracc::collectives {
namespace {

size_t Extent(const std::vector<size_t>& counts, const std::vector<size_t>& displs) {
  size_t extent = 0;
  for (size_t j = 0; j < counts.size() && j < displs.size(); ++j) {
    if (counts[j] > 0) extent = std::max(extent, displs[j] + counts[j]);
  }
  return extent;
}

absl::Status CheckSide(const std::vector<size_t>& counts, const std::vector<size_t>& displs,
                       int size, const char* counts_name, const char* displs_name) {
  if (counts.size() != static_cast<size_t>(size) || displs.size() != static_cast<size_t>(size)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("all-to-all layout: %s has %d entries and %s %d; need %d (one per rank)",
                        counts_name, counts.size(), displs_name, displs.size(), size));
  }
  for (int j = 0; j < size; ++j) {
    if (counts[j] > std::numeric_limits<size_t>::max() - displs[j]) {
      return absl::InvalidArgumentError(
          absl::StrFormat("all-to-all layout: %s[%d] = %d plus %s[%d] = %d overflows", counts_name,
                          j, counts[j], displs_name, j, displs[j]));
    }
  }
  return absl::OkStatus();
}

}  // namespace

size_t AllToAllLayout::InputExtent() const { return Extent(send_counts, send_displs); }
size_t AllToAllLayout::OutputExtent() const { return Extent(recv_counts, recv_displs); }

AllToAllLayout UniformAllToAllLayout(int size, size_t count) {
  AllToAllLayout layout;
  for (int j = 0; j < size; ++j) {
    layout.send_counts.push_back(count);
    layout.send_displs.push_back(static_cast<size_t>(j) * count);
  }
  layout.recv_counts = layout.send_counts;
  layout.recv_displs = layout.send_displs;
  return layout;
}

absl::Status ValidateAllToAllLayout(const AllToAllLayout& layout, int rank, int size) {
  if (absl::Status s =
          CheckSide(layout.send_counts, layout.send_displs, size, "send_counts", "send_displs");
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          CheckSide(layout.recv_counts, layout.recv_displs, size, "recv_counts", "recv_displs");
      !s.ok()) {
    return s;
  }
  if (rank < 0 || rank >= size) {
    return absl::InvalidArgumentError(
        absl::StrFormat("all-to-all layout: rank %d is outside [0, %d)", rank, size));
  }
  if (layout.send_counts[rank] != layout.recv_counts[rank]) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "all-to-all layout of rank %d: send_counts[%d] = %d but recv_counts[%d] = %d; a rank's "
        "block for itself must match",
        rank, rank, layout.send_counts[rank], rank, layout.recv_counts[rank]));
  }
  return absl::OkStatus();
}

}  // namespace ultracc::collectives
