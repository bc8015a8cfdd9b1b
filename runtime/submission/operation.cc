// Operation checks and extents; see operation.h.
#include "runtime/submission/operation.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace ultracc::submission {
namespace {

using collectives::DataType;

// a * b, or nullopt on overflow.
bool MulFits(size_t a, size_t b, size_t* out) {
  if (a != 0 && b > std::numeric_limits<size_t>::max() / a) return false;
  *out = a * b;
  return true;
}

absl::Status CheckVector(const char* name, const std::vector<size_t>& v, int world) {
  if (v.size() != static_cast<size_t>(world)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " has ", v.size(), " entries; the communicator has ", world, " ranks"));
  }
  return absl::OkStatus();
}

// max over j of displs[j] + counts[j], checking each sum and the byte size for overflow.
absl::Status VectorExtent(const char* what, const std::vector<size_t>& counts,
                          const std::vector<size_t>& displs, size_t element_size, size_t* extent) {
  *extent = 0;
  for (size_t j = 0; j < counts.size(); ++j) {
    if (counts[j] > std::numeric_limits<size_t>::max() - displs[j]) {
      return absl::InvalidArgumentError(absl::StrCat(what, " entry ", j, ": displacement ",
                                                     displs[j], " + count ", counts[j],
                                                     " overflows"));
    }
    if (counts[j] > 0) *extent = std::max(*extent, displs[j] + counts[j]);
  }
  size_t bytes = 0;
  if (!MulFits(*extent, element_size, &bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " spans ", *extent, " elements, more bytes than memory can hold"));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsPointToPoint(OpKind kind) { return kind == OpKind::kSend || kind == OpKind::kRecv; }

bool IsReduction(OpKind kind) {
  return kind == OpKind::kAllReduce || kind == OpKind::kReduceScatter || kind == OpKind::kReduce;
}

const char* OpKindName(OpKind kind) {
  switch (kind) {
    case OpKind::kAllReduce: return "all-reduce";
    case OpKind::kFinalize: return "finalize";
    case OpKind::kReduceScatter: return "reduce-scatter";
    case OpKind::kAllGather: return "all-gather";
    case OpKind::kAllToAll: return "all-to-all";
    case OpKind::kAllToAllv: return "all-to-allv";
    case OpKind::kBroadcast: return "broadcast";
    case OpKind::kReduce: return "reduce";
    case OpKind::kBarrier: return "barrier";
    case OpKind::kSend: return "send";
    case OpKind::kRecv: return "recv";
  }
  return "unknown operation";
}

collectives::CollectiveKind ToCollectiveKind(OpKind kind) {
  using collectives::CollectiveKind;
  switch (kind) {
    case OpKind::kReduceScatter: return CollectiveKind::kReduceScatter;
    case OpKind::kAllGather: return CollectiveKind::kAllGather;
    case OpKind::kAllToAll: return CollectiveKind::kAllToAll;
    case OpKind::kAllToAllv: return CollectiveKind::kAllToAllv;
    case OpKind::kBroadcast: return CollectiveKind::kBroadcast;
    case OpKind::kReduce: return CollectiveKind::kReduce;
    case OpKind::kBarrier: return CollectiveKind::kBarrier;
    default: return CollectiveKind::kAllReduce;
  }
}

Extents BufferExtents(const Operation& op, int rank, int world) {
  const size_t n = static_cast<size_t>(world);
  const bool is_root = op.root_or_peer == rank;
  switch (op.kind) {
    case OpKind::kAllReduce: return {op.count, op.count};
    case OpKind::kReduceScatter: return {n * op.count, op.count};
    case OpKind::kAllGather: return {op.count, n * op.count};
    case OpKind::kAllToAll: return {n * op.count, n * op.count};
    case OpKind::kAllToAllv: {
      Extents e;
      VectorExtent("", op.send_counts, op.send_displs, 1, &e.send).IgnoreError();
      VectorExtent("", op.recv_counts, op.recv_displs, 1, &e.recv).IgnoreError();
      return e;
    }
    case OpKind::kBroadcast: return {is_root ? op.count : 0, op.count};
    case OpKind::kReduce: return {op.count, is_root ? op.count : 0};
    case OpKind::kSend: return {op.count, 0};
    case OpKind::kRecv: return {0, op.count};
    case OpKind::kBarrier:
    case OpKind::kFinalize: return {0, 0};
  }
  return {0, 0};
}

absl::Status Validate(const Operation& op, int rank, int world) {
  const char* name = OpKindName(op.kind);
  if (!collectives::IsValidDataType(static_cast<int>(op.dtype))) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": datatype ", static_cast<int>(op.dtype),
                                                   " is not an ultraccDataType_t"));
  }
  if (IsReduction(op.kind) && !collectives::IsValidRedOp(static_cast<int>(op.op))) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": op ", static_cast<int>(op.op), " is not an ultraccRedOp_t"));
  }
  if (op.kind == OpKind::kBroadcast || op.kind == OpKind::kReduce) {
    if (op.root_or_peer < 0 || op.root_or_peer >= world) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": root ", op.root_or_peer,
                                                     " is outside [0, ", world, ")"));
    }
  }
  if (IsPointToPoint(op.kind) && (op.root_or_peer < 0 || op.root_or_peer >= world)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": peer ", op.root_or_peer, " is outside [0, ", world, ")"));
  }
  const size_t element = collectives::DataTypeSize(op.dtype);
  size_t elements = 0, bytes = 0;
  const size_t per_rank_factor =
      (op.kind == OpKind::kReduceScatter || op.kind == OpKind::kAllGather ||
       op.kind == OpKind::kAllToAll)
          ? static_cast<size_t>(world)
          : 1;
  if (!MulFits(op.count, per_rank_factor, &elements) || !MulFits(elements, element, &bytes)) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": count ", op.count, " x ", world,
                                                   " ranks is more bytes than memory can hold"));
  }
  if (op.kind == OpKind::kAllToAllv) {
    for (auto [vname, v] : {std::pair{"sendcounts", &op.send_counts},
                            std::pair{"sdispls", &op.send_displs},
                            std::pair{"recvcounts", &op.recv_counts},
                            std::pair{"rdispls", &op.recv_displs}}) {
      if (auto s = CheckVector(vname, *v, world); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(name, ": ", s.message()));
      }
    }
    size_t extent = 0;
    if (auto s = VectorExtent("sendcounts/sdispls", op.send_counts, op.send_displs, element,
                              &extent);
        !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": ", s.message()));
    }
    if (auto s = VectorExtent("recvcounts/rdispls", op.recv_counts, op.recv_displs, element,
                              &extent);
        !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": ", s.message()));
    }
  }
  const Extents e = BufferExtents(op, rank, world);
  if (e.send > 0 && op.send == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": sendbuff is NULL but rank ", rank, " sends ", e.send, " elements"));
  }
  if (e.recv > 0 && op.recv == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": recvbuff is NULL but rank ", rank,
                                                   " receives ", e.recv, " elements"));
  }
  return absl::OkStatus();
}

std::string Describe(const Operation& op) {
  std::string text = absl::StrCat(OpKindName(op.kind), " #", op.sequence, " (count ", op.count,
                                  ", ", collectives::DataTypeName(op.dtype));
  if (IsReduction(op.kind)) absl::StrAppend(&text, ", ", collectives::RedOpName(op.op));
  if (op.kind == OpKind::kBroadcast || op.kind == OpKind::kReduce) {
    absl::StrAppend(&text, ", root ", op.root_or_peer);
  }
  if (IsPointToPoint(op.kind)) absl::StrAppend(&text, ", peer ", op.root_or_peer);
  return absl::StrCat(text, ")");
}

std::string DescribeDescriptor(const OpDescriptor& d) {
  return absl::StrCat(OpKindName(d.kind), " #", d.sequence, " (count ", d.count, ", dtype ",
                      collectives::DataTypeName(static_cast<collectives::DataType>(d.dtype)),
                      ", op ", collectives::RedOpName(static_cast<collectives::RedOp>(d.op)),
                      ", root/peer ", d.root_or_peer, ")");
}

}  // namespace ultracc::submission
