// One operation a rank issues on a communicator, as the C API received it: its kind, buffers,
// counts and sequence number, with the checks every backend relies on and the buffer extents that
// staging and bounds checks need.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "collectives/algorithm.h"
#include "collectives/datatype.h"
#include "runtime/submission/op_descriptor.h"

namespace ultracc::submission {

struct Operation {
  OpKind kind = OpKind::kAllReduce;
  const void* send = nullptr;
  void* recv = nullptr;
  // Elements: per rank for all-reduce, broadcast, reduce, send and recv; recvcount for
  // reduce-scatter; sendcount for all-gather; per peer for all-to-all; unused for all-to-allv.
  size_t count = 0;
  collectives::DataType dtype = collectives::DataType::kFloat32;
  collectives::RedOp op = collectives::RedOp::kSum;
  int root_or_peer = -1;  // broadcast/reduce root, send/recv peer; -1 otherwise
  // All-to-allv: world entries each, in elements.
  std::vector<size_t> send_counts, send_displs, recv_counts, recv_displs;
  // Collectives: the communicator's collective sequence number (the same on every rank).
  // Send/recv: the number of this message between this rank and the peer in its direction.
  uint64_t sequence = 0;
};

bool IsPointToPoint(OpKind kind);
bool IsReduction(OpKind kind);  // takes a RedOp
// "all-reduce", "send", ...
const char* OpKindName(OpKind kind);
// The engine's name of a collective kind (not for send/recv).
collectives::CollectiveKind ToCollectiveKind(OpKind kind);

// Elements of `send` this rank reads and of `recv` it writes (0 where the buffer is not used on
// this rank, e.g. broadcast's send off the root). The operation must have passed Validate.
struct Extents {
  size_t send = 0;
  size_t recv = 0;
};
Extents BufferExtents(const Operation& op, int rank, int world);

// Checks what one rank can check alone: root/peer in range, non-null buffers where elements are
// read or written, all-to-allv arrays present and their extents representable, byte sizes that
// fit in size_t. InvalidArgument naming the argument and its value.
absl::Status Validate(const Operation& op, int rank, int world);

// E.g. "all-reduce #12 (count 1000, float, sum)", for messages about ranks that disagree.
std::string Describe(const Operation& op);
// The same for a submitted descriptor (whose fields the daemon has not checked yet).
std::string DescribeDescriptor(const OpDescriptor& d);

}  // namespace ultracc::submission
