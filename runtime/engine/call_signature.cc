// Call signatures and the mismatch message; see call_signature.h.
#include "runtime/engine/call_signature.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/submission/operation.h"

namespace ultracc::engine {
namespace {

using submission::OpKind;

bool IsRooted(uint64_t kind) {
  return kind == static_cast<uint64_t>(OpKind::kBroadcast) ||
         kind == static_cast<uint64_t>(OpKind::kReduce);
}

bool IsReduction(uint64_t kind) {
  return kind <= UINT32_MAX && submission::IsReduction(static_cast<OpKind>(kind));
}

const char* KindName(uint64_t kind) {
  switch (static_cast<OpKind>(kind)) {
    case OpKind::kAllReduce:
      return "AllReduce";
    case OpKind::kReduceScatter:
      return "ReduceScatter";
    case OpKind::kAllGather:
      return "AllGather";
    case OpKind::kAllToAll:
      return "AllToAll";
    case OpKind::kAllToAllv:
      return "AllToAllv";
    case OpKind::kBroadcast:
      return "Broadcast";
    case OpKind::kReduce:
      return "Reduce";
    case OpKind::kBarrier:
      return "Barrier";
    default:
      return nullptr;
  }
}

CallSignature Normalized(CallSignature s) {
  if (s.kind == static_cast<uint64_t>(OpKind::kAllToAllv) ||
      s.kind == static_cast<uint64_t>(OpKind::kBarrier)) {
    s.count = 0;
  }
  if (!IsReduction(s.kind)) s.op = 0;
  if (!IsRooted(s.kind)) s.root = -1;
  return s;
}

}  // namespace

CallSignature SignatureOf(const CollectiveCall& call) {
  return Normalized({static_cast<uint64_t>(call.kind), call.count,
                     static_cast<uint64_t>(call.dtype), static_cast<uint64_t>(call.op), call.root});
}

CallSignature SignatureOf(const submission::OpDescriptor& d) {
  return Normalized({static_cast<uint64_t>(d.kind), d.count,
                     static_cast<uint64_t>(static_cast<uint32_t>(d.dtype)),
                     static_cast<uint64_t>(static_cast<uint32_t>(d.op)), d.root_or_peer});
}

std::string DescribeSignature(const CallSignature& s) {
  const char* kind = KindName(s.kind);
  std::string text = kind != nullptr ? kind : absl::StrCat("operation ", s.kind);
  if (s.kind == static_cast<uint64_t>(OpKind::kBarrier)) return text + "()";
  std::vector<std::string> args;
  if (s.kind != static_cast<uint64_t>(OpKind::kAllToAllv)) {
    args.push_back(absl::StrCat("count=", s.count));
  }
  const bool valid_dtype =
      s.dtype <= INT32_MAX && collectives::IsValidDataType(static_cast<int>(s.dtype));
  args.push_back(valid_dtype ? std::string(collectives::DataTypeName(
                                   static_cast<collectives::DataType>(s.dtype)))
                             : absl::StrCat("datatype ", s.dtype));
  if (IsReduction(s.kind)) {
    const bool valid_op = s.op <= INT32_MAX && collectives::IsValidRedOp(static_cast<int>(s.op));
    args.push_back(valid_op
                       ? std::string(collectives::RedOpName(static_cast<collectives::RedOp>(s.op)))
                       : absl::StrCat("op ", s.op));
  }
  if (IsRooted(s.kind)) args.push_back(absl::StrCat("root=", s.root));
  return absl::StrCat(text, "(", absl::StrJoin(args, ","), ")");
}

absl::Status CompareSignatures(absl::Span<const CallSignature> by_rank, int first_rank,
                               uint64_t sequence) {
  if (by_rank.empty()) return absl::OkStatus();
  const CallSignature& reference = by_rank[0];
  int differing = 0;
  size_t first_differing = 0;
  for (size_t i = 1; i < by_rank.size(); ++i) {
    if (by_rank[i] == reference) continue;
    if (differing++ == 0) first_differing = i;
  }
  if (differing == 0) return absl::OkStatus();
  const CallSignature& other = by_rank[first_differing];
  std::vector<const char*> fields;
  if (other.kind != reference.kind) fields.push_back("collective");
  if (other.count != reference.count) fields.push_back("count");
  if (other.dtype != reference.dtype) fields.push_back("datatype");
  if (other.op != reference.op) fields.push_back("op");
  if (other.root != reference.root) fields.push_back("root");
  return absl::FailedPreconditionError(absl::StrCat(
      "rank ", first_rank + static_cast<int>(first_differing), " called ", DescribeSignature(other),
      " as op #", sequence, " while rank ", first_rank, " called ", DescribeSignature(reference),
      " (the ", absl::StrJoin(fields, " and "), " differ", fields.size() == 1 ? "s" : "", "; ",
      differing, " of ", by_rank.size(), " ranks differ", differing == 1 ? "s" : "", " from rank ",
      first_rank, ")"));
}

}  // namespace ultracc::engine
