// The state of one send or receive while the progress thread moves it, and the arithmetic of
// splitting it into segments.
//
// Every segment travels as its own tagged libfabric message under the caller's tag, with the
// message's total size as remote CQ data; the receiver learns that size from the first segment.
//
// No receive the transport posts can truncate. A segment is at most kLongestSegment bytes (or the
// provider's limit, if lower), and every engine keeps an overflow sink of one segment: a first
// receive shorter than a segment is topped up with the sink, and the segments of a message that
// turned out larger or smaller than its receive are received whole into the sink. So the first
// completion always carries the sender's size, and the rest of a mismatched message is consumed
// without relying on truncation, which the providers handle badly: shm (libfabric 1.17) reports
// neither the CQ data nor the lengths of a truncated message, ofi_rxm drops the FI_REMOTE_CQ_DATA
// flag on some of its truncation paths, and over tcp a receive posted shorter than the eager
// message that then arrives can break the connection.
#pragma once

#include <rdma/fabric.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "transport/ofi/ofi_registration_cache.h"
#include "transport/transport.h"

namespace ultracc::transport::ofi {

// The longest segment, hence the size of each engine's overflow sink. Larger messages pay one
// libfabric message per MiB, which is noise beside moving the MiB.
constexpr size_t kLongestSegment = size_t{1} << 20;

struct Message;

// One libfabric operation. The CQ returns `context`'s address, hence first and standard-layout.
struct Segment {
  fi_context2 context;
  Message* message = nullptr;
  size_t index = 0;
  char* data = nullptr;  // where this segment's bytes come from or go to
  size_t length = 0;
  size_t overflow = 0;  // receives only: bytes of the overflow sink posted after `data`
};

struct Message {
  bool is_send = false;
  int peer = 0;
  uint64_t tag = 0;
  char* data = nullptr;
  size_t bytes = 0;  // what the caller posted
  Request* request = nullptr;
  // Sends: segments of `bytes`. Receives: 1 until the first segment tells the sender's size.
  size_t segment_count = 1;
  size_t posted = 0;    // segments handed to the provider
  size_t finished = 0;  // segments whose completion (or error) came back
  absl::Status status;  // the first failure, reported when the request completes
  bool request_done = false;
  std::vector<std::unique_ptr<Segment>> segments;
  // Registrations made for this message's buffers only (outside every registered region).
  std::vector<std::unique_ptr<fid_mr, MrCloser>> registrations;
};

inline size_t SegmentCount(size_t bytes, size_t segment_bytes) {
  return bytes == 0 ? 1 : 1 + (bytes - 1) / segment_bytes;  // no overflow at SIZE_MAX
}

inline size_t SegmentLength(size_t bytes, size_t segment_bytes, size_t index) {
  return std::min(segment_bytes, bytes - std::min(bytes, index * segment_bytes));
}

}  // namespace ultracc::transport::ofi
