// What the daemons of a job's nodes that share one host give each other, so that the job's ranks
// meet on one call board and reach each other's arenas as the ranks of one node do: node 0's
// daemon creates the board; every daemon publishes, in the job's store, where the board (node 0
// only) and its ranks' arenas sit among its own descriptors; the others open them through
// /proc/<pid>/fd (shm/process_descriptor.h) and hand them to their ranks.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ultracc::daemon {

// A memory a daemon holds: its descriptor number there and the bytes to map.
struct SharedMemoryRef {
  int fd = -1;
  uint64_t bytes = 0;
};

// One node's entry: the daemon's pid, the board (node 0) and the arenas of its ranks in local
// rank order (none when the job has too many ranks to pass every arena to each rank).
struct NodeShare {
  // Set instead of the rest when the node cannot share (a rank never joined): the others fail
  // with it rather than wait for an entry that will not come.
  std::string error;
  pid_t pid = 0;
  std::optional<SharedMemoryRef> board;
  std::vector<SharedMemoryRef> arenas;
};

// "<pid>|<board fd>:<bytes>|<fd>:<bytes>,<fd>:<bytes>,..." (an empty field for no board or no
// arenas), or "!<error>".
std::string EncodeNodeShare(const NodeShare& share);
// The entry of node `node`, or InvalidArgument naming the node and what is malformed.
absl::StatusOr<NodeShare> DecodeNodeShare(absl::string_view text, int node);

}  // namespace ultracc::daemon
