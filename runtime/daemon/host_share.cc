// The entries nodes of one host publish to share their memory; see host_share.h.
#include "runtime/daemon/host_share.h"

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ultracc::daemon {
namespace {

std::string EncodeRef(const SharedMemoryRef& ref) { return absl::StrCat(ref.fd, ":", ref.bytes); }

bool DecodeRef(absl::string_view text, SharedMemoryRef* ref) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  return parts.size() == 2 && absl::SimpleAtoi(parts[0], &ref->fd) && ref->fd >= 0 &&
         absl::SimpleAtoi(parts[1], &ref->bytes) && ref->bytes > 0;
}

}  // namespace

std::string EncodeNodeShare(const NodeShare& share) {
  if (!share.error.empty()) return absl::StrCat("!", share.error);
  std::vector<std::string> arenas;
  for (const SharedMemoryRef& ref : share.arenas) arenas.push_back(EncodeRef(ref));
  return absl::StrCat(share.pid, "|", share.board ? EncodeRef(*share.board) : "", "|",
                      absl::StrJoin(arenas, ","));
}

absl::StatusOr<NodeShare> DecodeNodeShare(absl::string_view text, int node) {
  auto malformed = [&](absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("node ", node, " published '", text, "' for its shared memory: ", what));
  };
  NodeShare share;
  if (absl::ConsumePrefix(&text, "!")) {
    share.error = text.empty() ? absl::StrCat("node ", node, " failed") : std::string(text);
    return share;
  }
  std::vector<absl::string_view> fields = absl::StrSplit(text, '|');
  if (fields.size() != 3) return malformed("expected <pid>|<board>|<arenas>");
  int pid = 0;
  if (!absl::SimpleAtoi(fields[0], &pid) || pid <= 0) return malformed("bad pid");
  share.pid = pid;
  if (!fields[1].empty()) {
    SharedMemoryRef board;
    if (!DecodeRef(fields[1], &board)) return malformed("bad board <fd>:<bytes>");
    share.board = board;
  }
  if (!fields[2].empty()) {
    for (absl::string_view part : absl::StrSplit(fields[2], ',')) {
      SharedMemoryRef arena;
      if (!DecodeRef(part, &arena)) return malformed("bad arena <fd>:<bytes>");
      share.arenas.push_back(arena);
    }
  }
  return share;
}

}  // namespace ultracc::daemon
