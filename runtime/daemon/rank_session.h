// What the daemon holds for one connected rank: its Unix channel, its mapped arena and rings.
#pragma once

#include <atomic>
#include <string>

#include "absl/status/statusor.h"
#include "rank.pb.h"
#include "runtime/shm/shared_region.h"
#include "runtime/shm/unix_channel.h"
#include "runtime/submission/ring_pair.h"

namespace ultracc::daemon {

struct RankSession {
  int rank = 0;
  int local_rank = 0;
  int pid = 0;
  shm::UnixChannel channel;
  shm::SharedRegion arena;
  shm::SharedRegion rings_region;
  submission::RingPair rings;
  std::atomic<bool> finalized{false};
  std::atomic<bool> connected{true};
  // One-node jobs answer every rank's hello once all have arrived: the answer waits here.
  proto::RankWelcome welcome;
  bool welcomed = false;

  // The arena range [offset, offset + bytes) as a pointer, or InvalidArgument naming the range.
  absl::StatusOr<char*> ArenaRange(uint64_t offset, uint64_t bytes, const char* what) const;
};

}  // namespace ultracc::daemon
