// FIFO queues keyed by (peer, tag): how transports that match messages themselves keep posted
// receives and messages that arrived first, so that same-tag messages match in posting order.
#pragma once

#include <cstdint>
#include <deque>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace ultracc::transport {

using PeerTag = std::pair<int, uint64_t>;

template <typename T>
using KeyedQueues = absl::flat_hash_map<PeerTag, std::deque<T>>;

// Pops the front of queues[key] into `out`, erasing an emptied queue so finished tags do not
// pile up. False if there is none.
template <typename T>
bool PopFront(KeyedQueues<T>& queues, const PeerTag& key, T& out) {
  auto it = queues.find(key);
  if (it == queues.end()) return false;
  out = std::move(it->second.front());
  it->second.pop_front();
  if (it->second.empty()) queues.erase(it);
  return true;
}

}  // namespace ultracc::transport
