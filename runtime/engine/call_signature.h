// What one rank called, reduced to the fields every participant of a collective must agree on
// (kind, count, datatype, op, root), and the message that names two ranks whose calls differ.
// The call agreement (call_agreement.h) and the daemon's check of its own ranks both speak it, so a
// mismatch reads the same wherever it is found.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "collectives/datatype.h"
#include "runtime/engine/collective_call.h"
#include "runtime/submission/op_descriptor.h"

namespace ultracc::engine {

// Raw integers: a signature may come from a descriptor the daemon has not validated yet.
struct CallSignature {
  uint64_t kind = 0;   // submission::OpKind
  uint64_t count = 0;  // 0 for all-to-allv (its per-peer counts legitimately differ)
  uint64_t dtype = 0;  // collectives::DataType
  uint64_t op = 0;     // collectives::RedOp for reductions, else 0
  int64_t root = -1;   // broadcast/reduce root, else -1

  bool operator==(const CallSignature& other) const {
    return kind == other.kind && count == other.count && dtype == other.dtype && op == other.op &&
           root == other.root;
  }
  bool operator!=(const CallSignature& other) const { return !(*this == other); }
};

CallSignature SignatureOf(const CollectiveCall& call);
CallSignature SignatureOf(const submission::OpDescriptor& d);

// E.g. "AllReduce(count=1024,float,sum)", "Broadcast(count=7,int32,root=2)", "Barrier()".
std::string DescribeSignature(const CallSignature& s);

// OK when every entry of `by_rank` (rank first_rank + i at index i) equals the first; otherwise
// FailedPrecondition "rank 5 called AllReduce(count=1024,float,sum) as op #17 while rank 0 called
// AllReduce(count=2048,float,sum) (the count differs; 1 of 4 ranks differs from rank 0)".
absl::Status CompareSignatures(absl::Span<const CallSignature> by_rank, int first_rank,
                               uint64_t sequence);

}  // namespace ultracc::engine
