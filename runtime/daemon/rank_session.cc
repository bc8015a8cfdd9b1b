// Arena bounds checks for a connected rank; see rank_session.h.
#include "runtime/daemon/rank_session.h"

#include "absl/strings/str_cat.h"

namespace ultracc::daemon {

absl::StatusOr<char*> RankSession::ArenaRange(uint64_t offset, uint64_t bytes,
                                              const char* what) const {
  if (offset > arena.size() || bytes > arena.size() - offset) {
    return absl::InvalidArgumentError(absl::StrCat("rank ", rank, ": ", what, " [", offset, ", +",
                                                   bytes, ") lies outside its arena of ",
                                                   arena.size(), " bytes"));
  }
  return static_cast<char*>(arena.base()) + offset;
}

}  // namespace ultracc::daemon
