// The records a rank and its node daemon exchange through shared-memory rings: a rank submits an
// OpDescriptor per collective and receives an OpCompletion for it. Plain data, fixed layout, no
// pointers: buffers are named by offsets into the rank's arena.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

#include "absl/strings/string_view.h"

namespace ultracc::submission {

enum class OpKind : uint32_t {
  kAllReduce = 1,
  kFinalize = 2,  // the rank is done with its communicator; no more descriptors follow
  kReduceScatter = 3,
  kAllGather = 4,
  kAllToAll = 5,
  kAllToAllv = 6,  // aux_offset: sendcounts, sdispls, recvcounts, rdispls (world uint64 each)
  kBroadcast = 7,
  kReduce = 8,
  kBarrier = 9,
  kSend = 10,
  kRecv = 11,
};

// An offset that names no buffer (the operation does not use it on this rank).
inline constexpr uint64_t kNoBuffer = ~uint64_t{0};

struct OpDescriptor {
  uint64_t sequence;     // per communicator, from 1, in issue order
  OpKind kind;
  int32_t dtype;         // collectives::DataType
  int32_t op;            // collectives::RedOp
  int32_t root_or_peer;  // -1 where the operation has none
  uint64_t count;        // elements
  uint64_t send_offset;  // into the rank's arena
  uint64_t recv_offset;
  uint64_t aux_offset;   // per-kind extra data in the arena (see OpKind)
};
static_assert(std::is_trivially_copyable_v<OpDescriptor>);

// Completions of one rank's outstanding operations may arrive in any order (a group's sends and
// receives finish as their peers get to them); (kind, peer, sequence) names the descriptor.
struct OpCompletion {
  uint64_t sequence;
  int32_t status_code;   // absl::StatusCode
  OpKind kind;
  int32_t peer;          // the descriptor's root_or_peer
  // NUL-terminated, truncated. Room for a whole failure: which ranks or nodes were not heard
  // from, and the engine's step, peer and tag.
  char message[1004];

  bool Answers(const OpDescriptor& d) const {
    return sequence == d.sequence && kind == d.kind && peer == d.root_or_peer;
  }

  void SetMessage(absl::string_view text) {
    size_t n = std::min(text.size(), sizeof(message) - 1);
    if (n > 0) std::memcpy(message, text.data(), n);  // an empty view may hold no pointer
    message[n] = '\0';
  }
};
static_assert(std::is_trivially_copyable_v<OpCompletion>);
static_assert(sizeof(OpCompletion) == 1024);

// Layout of the rings region a rank shares with its daemon: the submission ring, then the
// completion ring, each kRingCapacity records.
inline constexpr uint32_t kRingCapacity = 256;

}  // namespace ultracc::submission
