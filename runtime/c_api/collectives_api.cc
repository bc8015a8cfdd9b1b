// The C API's collectives, sends and receives, groups and split (runtime/include/ultracc.h): each
// call becomes one checked Operation issued on its communicator, alone or into the open group.
#include <functional>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "collectives/datatype.h"
#include "runtime/c_api/api_support.h"
#include "runtime/client/group.h"
#include "runtime/submission/operation.h"
#include "ultracc.h"

namespace {

using ultracc::c_api::CheckComm;
using ultracc::c_api::Guard;
using ultracc::c_api::MakeComm;
using ultracc::client::Communicator;
using ultracc::submission::OpKind;
using ultracc::submission::Operation;

// Builds the operation of one C call, checks it, and issues it (or adds it to the open group).
absl::Status IssueCall(
    ultraccComm_t comm, ultraccStream_t stream, OpKind kind, const void* sendbuff, void* recvbuff,
    size_t count, ultraccDataType_t datatype, ultraccRedOp_t op = ultraccSum, int root_or_peer = -1,
    const std::function<void(Operation&)>& more = [](Operation&) {}) {
  if (auto s = CheckComm(comm); !s.ok()) return s;
  const char* name = ultracc::submission::OpKindName(kind);
  if (!ultracc::collectives::IsValidDataType(datatype)) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": datatype ", static_cast<int>(datatype), " is not an ultraccDataType_t"));
  }
  if (ultracc::submission::IsReduction(kind) && !ultracc::collectives::IsValidRedOp(op)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": op ", static_cast<int>(op), " is not an ultraccRedOp_t"));
  }
  Operation operation;
  operation.kind = kind;
  operation.send = sendbuff;
  operation.recv = recvbuff;
  operation.count = count;
  operation.dtype = static_cast<ultracc::collectives::DataType>(datatype);
  operation.op = static_cast<ultracc::collectives::RedOp>(op);
  operation.root_or_peer = root_or_peer;
  more(operation);
  Communicator* impl = comm->impl.get();
  if (auto s = ultracc::submission::Validate(operation, impl->rank(), impl->size()); !s.ok()) {
    return s;
  }
  return ultracc::client::IssueOperation(impl, stream == nullptr ? nullptr : &stream->impl,
                                         std::move(operation));
}

}  // namespace

extern "C" {

ultraccResult_t ultraccAllReduce(const void* sendbuff, void* recvbuff, size_t count,
                                 ultraccDataType_t datatype, ultraccRedOp_t op,
                                 ultraccComm_t comm, ultraccStream_t stream) {
  return Guard(comm, [&] {
    return IssueCall(comm, stream, OpKind::kAllReduce, sendbuff, recvbuff, count, datatype, op);
  });
}

ultraccResult_t ultraccReduceScatter(const void* sendbuff, void* recvbuff, size_t recvcount,
                                     ultraccDataType_t datatype, ultraccRedOp_t op,
                                     ultraccComm_t comm, ultraccStream_t stream) {
  return Guard(comm, [&] {
    return IssueCall(comm, stream, OpKind::kReduceScatter, sendbuff, recvbuff, recvcount,
                     datatype, op);
  });
}

ultraccResult_t ultraccAllGather(const void* sendbuff, void* recvbuff, size_t sendcount,
                                 ultraccDataType_t datatype, ultraccComm_t comm,
                                 ultraccStream_t stream) {
  return Guard(comm, [&] {
    return IssueCall(comm, stream, OpKind::kAllGather, sendbuff, recvbuff, sendcount, datatype);
  });
}

ultraccResult_t ultraccAllToAll(const void* sendbuff, void* recvbuff, size_t count,
                                ultraccDataType_t datatype, ultraccComm_t comm,
                                ultraccStream_t stream) {
  return Guard(comm, [&] {
    return IssueCall(comm, stream, OpKind::kAllToAll, sendbuff, recvbuff, count, datatype);
  });
}

ultraccResult_t ultraccAllToAllv(const void* sendbuff, const size_t* sendcounts,
                                 const size_t* sdispls, void* recvbuff, const size_t* recvcounts,
                                 const size_t* rdispls, ultraccDataType_t datatype,
                                 ultraccComm_t comm, ultraccStream_t stream) {
  return Guard(comm, [&]() -> absl::Status {
    if (auto s = CheckComm(comm); !s.ok()) return s;
    for (auto [name, array] : {std::pair{"sendcounts", sendcounts}, std::pair{"sdispls", sdispls},
                               std::pair{"recvcounts", recvcounts}, std::pair{"rdispls", rdispls}}) {
      if (array == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat("all-to-allv: ", name, " is NULL"));
      }
    }
    const size_t n = static_cast<size_t>(comm->impl->size());
    return IssueCall(comm, stream, OpKind::kAllToAllv, sendbuff, recvbuff, 0, datatype,
                     ultraccSum, -1, [&](Operation& op) {
                       op.send_counts.assign(sendcounts, sendcounts + n);
                       op.send_displs.assign(sdispls, sdispls + n);
                       op.recv_counts.assign(recvcounts, recvcounts + n);
                       op.recv_displs.assign(rdispls, rdispls + n);
                     });
  });
}

ultraccResult_t ultraccBroadcast(const void* sendbuff, void* recvbuff, size_t count,
                                 ultraccDataType_t datatype, int root, ultraccComm_t comm,
                                 ultraccStream_t stream) {
  return Guard(comm, [&] {
    return IssueCall(comm, stream, OpKind::kBroadcast, sendbuff, recvbuff, count, datatype,
                     ultraccSum, root);
  });
}

ultraccResult_t ultraccReduce(const void* sendbuff, void* recvbuff, size_t count,
                              ultraccDataType_t datatype, ultraccRedOp_t op, int root,
                              ultraccComm_t comm, ultraccStream_t stream) {
  return Guard(comm, [&] {
    return IssueCall(comm, stream, OpKind::kReduce, sendbuff, recvbuff, count, datatype, op, root);
  });
}

ultraccResult_t ultraccBarrier(ultraccComm_t comm, ultraccStream_t stream) {
  return Guard(comm, [&] {
    return IssueCall(comm, stream, OpKind::kBarrier, nullptr, nullptr, 0, ultraccUint8);
  });
}

ultraccResult_t ultraccSend(const void* sendbuff, size_t count, ultraccDataType_t datatype,
                            int peer, ultraccComm_t comm, ultraccStream_t stream) {
  return Guard(comm, [&] {
    return IssueCall(comm, stream, OpKind::kSend, sendbuff, nullptr, count, datatype, ultraccSum,
                     peer);
  });
}

ultraccResult_t ultraccRecv(void* recvbuff, size_t count, ultraccDataType_t datatype, int peer,
                            ultraccComm_t comm, ultraccStream_t stream) {
  return Guard(comm, [&] {
    return IssueCall(comm, stream, OpKind::kRecv, nullptr, recvbuff, count, datatype, ultraccSum,
                     peer);
  });
}

ultraccResult_t ultraccGroupStart(void) {
  return Guard(nullptr, [] {
    ultracc::client::GroupStart();
    return absl::OkStatus();
  });
}

ultraccResult_t ultraccGroupEnd(void) {
  return Guard(nullptr, [] { return ultracc::client::GroupEnd(); });
}

ultraccResult_t ultraccCommSplit(ultraccComm_t comm, int color, int key, ultraccComm_t* newcomm) {
  return Guard(comm, [&]() -> absl::Status {
    if (auto s = CheckComm(comm); !s.ok()) return s;
    if (newcomm == nullptr) return absl::InvalidArgumentError("newcomm is NULL");
    *newcomm = nullptr;
    if (ultracc::client::InGroup()) {
      return absl::FailedPreconditionError("ultraccCommSplit cannot be called inside a group");
    }
    absl::StatusOr<std::unique_ptr<Communicator>> child = comm->impl->Split(color, key);
    if (!child.ok()) return child.status();
    if (*child == nullptr) return absl::OkStatus();
    return MakeComm(newcomm, *std::move(child));
  });
}

}  // extern "C"
