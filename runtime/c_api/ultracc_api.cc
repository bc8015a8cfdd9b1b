// The C API (runtime/include/ultracc.h): argument checks, then hand-off to client/ classes.
// Every entry point catches everything, so no C++ exception crosses into C.
#include <exception>
#include <functional>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "collectives/datatype.h"
#include "runtime/c_api/result_codes.h"
#include "runtime/client/communicator.h"
#include "runtime/client/daemon_comm.h"
#include "runtime/client/embedded_comm.h"
#include "runtime/client/group.h"
#include "runtime/client/rank_memory.h"
#include "runtime/client/stream.h"
#include "runtime/client/unique_id.h"
#include "runtime/config.h"
#include "runtime/log.h"
#include "ultracc.h"

struct ultraccComm {
  std::unique_ptr<ultracc::client::Communicator> impl;
};
struct ultraccStream {
  ultracc::client::Stream impl;
};

namespace {

using ultracc::Config;
using ultracc::c_api::ToResult;
using ultracc::client::Communicator;
using ultracc::submission::OpKind;
using ultracc::submission::Operation;

thread_local std::string t_last_error;

// Records a failure's message for ultraccGetLastError (on the comm when there is one) and returns
// its code.
ultraccResult_t Fail(ultraccComm_t comm, const absl::Status& status) {
  std::string message(status.message());
  if (comm != nullptr && comm->impl) comm->impl->set_last_error(message);
  t_last_error = message;
  return ToResult(status);
}

ultraccResult_t Guard(ultraccComm_t comm, const std::function<absl::Status()>& body) {
  try {
    absl::Status s = body();
    return s.ok() ? ultraccSuccess : Fail(comm, s);
  } catch (const std::bad_alloc&) {
    return Fail(comm, absl::ResourceExhaustedError("out of memory"));
  } catch (const std::exception& e) {
    return Fail(comm, absl::InternalError(absl::StrCat("unexpected exception: ", e.what())));
  } catch (...) {
    return Fail(comm, absl::InternalError("unexpected exception"));
  }
}

// The process's settings, read once.
absl::StatusOr<Config> ProcessConfig() {
  static const absl::StatusOr<Config>* config = [] {
    auto* c = new absl::StatusOr<Config>(Config::FromEnvironment());
    if (c->ok()) ultracc::SetLogLevel((*c)->log_level);
    return c;
  }();
  return *config;
}

absl::Status CheckComm(ultraccComm_t comm) {
  if (comm == nullptr || !comm->impl) return absl::InvalidArgumentError("comm is NULL");
  return absl::OkStatus();
}

absl::Status MakeComm(ultraccComm_t* out, std::unique_ptr<Communicator> impl) {
  auto* comm = new ultraccComm;
  comm->impl = std::move(impl);
  *out = comm;
  return absl::OkStatus();
}

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

const char* ultraccGetErrorString(ultraccResult_t result) {
  switch (result) {
    case ultraccSuccess: return "no error";
    case ultraccSystemError: return "unhandled system error";
    case ultraccInternalError: return "internal error - please report this issue";
    case ultraccInvalidArgument: return "invalid argument";
    case ultraccInvalidUsage: return "invalid usage";
    case ultraccRemoteError: return "remote process exited or there was a network error";
    case ultraccInProgress: return "operation in progress";
    case ultraccTimeout: return "operation timed out";
  }
  return "unknown result code";
}

const char* ultraccGetLastError(ultraccComm_t comm) {
  if (comm != nullptr && comm->impl) return comm->impl->last_error();
  return t_last_error.c_str();
}

ultraccResult_t ultraccGetVersion(int* version) {
  return Guard(nullptr, [&] {
    if (version == nullptr) return absl::InvalidArgumentError("version is NULL");
    *version = ULTRACC_VERSION_CODE;
    return absl::OkStatus();
  });
}

ultraccResult_t ultraccGetUniqueId(ultraccUniqueId* unique_id) {
  return Guard(nullptr, [&]() -> absl::Status {
    if (unique_id == nullptr) return absl::InvalidArgumentError("unique_id is NULL");
    absl::StatusOr<Config> config = ProcessConfig();
    if (!config.ok()) return config.status();
    auto fields = ultracc::client::NewUniqueId(config->bootstrap_host);
    if (!fields.ok()) return fields.status();
    auto bytes = ultracc::client::EncodeUniqueId(*fields, sizeof(unique_id->internal));
    if (!bytes.ok()) return bytes.status();
    std::copy(bytes->begin(), bytes->end(), unique_id->internal);
    return absl::OkStatus();
  });
}

ultraccResult_t ultraccCommInitRank(ultraccComm_t* comm, int nranks, ultraccUniqueId unique_id,
                                    int rank) {
  return Guard(nullptr, [&]() -> absl::Status {
    if (comm == nullptr) return absl::InvalidArgumentError("comm is NULL");
    *comm = nullptr;
    if (nranks < 1) {
      return absl::InvalidArgumentError(absl::StrCat("nranks is ", nranks, ", must be >= 1"));
    }
    if (rank < 0 || rank >= nranks) {
      return absl::InvalidArgumentError(
          absl::StrCat("rank is ", rank, ", must be in [0, ", nranks, ")"));
    }
    absl::StatusOr<Config> config = ProcessConfig();
    if (!config.ok()) return config.status();
    auto id = ultracc::client::DecodeUniqueId(unique_id.internal, sizeof(unique_id.internal));
    if (!id.ok()) return id.status();
    auto impl = ultracc::client::EmbeddedComm::Create(nranks, rank, *id, *config);
    if (!impl.ok()) return impl.status();
    return MakeComm(comm, *std::move(impl));
  });
}

ultraccResult_t ultraccCommInitFromEnv(ultraccComm_t* comm) {
  return Guard(nullptr, [&]() -> absl::Status {
    if (comm == nullptr) return absl::InvalidArgumentError("comm is NULL");
    *comm = nullptr;
    absl::StatusOr<Config> config = ProcessConfig();
    if (!config.ok()) return config.status();
    if (!config->InDaemonMode()) {
      return absl::FailedPreconditionError(
          "ultraccCommInitFromEnv: ULTRACC_DAEMON_SOCKET is not set; start the program with "
          "`ultracc launch`, or use ultraccCommInitRank");
    }
    auto impl = ultracc::client::DaemonComm::Create(*config);
    if (!impl.ok()) return impl.status();
    return MakeComm(comm, *std::move(impl));
  });
}

ultraccResult_t ultraccCommCount(ultraccComm_t comm, int* count) {
  return Guard(comm, [&]() -> absl::Status {
    if (auto s = CheckComm(comm); !s.ok()) return s;
    if (count == nullptr) return absl::InvalidArgumentError("count is NULL");
    *count = comm->impl->size();
    return absl::OkStatus();
  });
}

ultraccResult_t ultraccCommUserRank(ultraccComm_t comm, int* rank) {
  return Guard(comm, [&]() -> absl::Status {
    if (auto s = CheckComm(comm); !s.ok()) return s;
    if (rank == nullptr) return absl::InvalidArgumentError("rank is NULL");
    *rank = comm->impl->rank();
    return absl::OkStatus();
  });
}

ultraccResult_t ultraccCommFinalize(ultraccComm_t comm) {
  return Guard(comm, [&]() -> absl::Status {
    if (auto s = CheckComm(comm); !s.ok()) return s;
    return comm->impl->Finalize();
  });
}

ultraccResult_t ultraccCommDestroy(ultraccComm_t comm) {
  if (comm == nullptr) return Fail(nullptr, absl::InvalidArgumentError("comm is NULL"));
  ultraccResult_t result = Guard(nullptr, [&]() -> absl::Status {
    ultracc::client::ForgetGroupedOperations(comm->impl.get());
    absl::Status s = comm->impl->Finalize();
    // A comm that cannot finalize cleanly is aborted, so that destroy never hangs.
    if (!s.ok()) comm->impl->Abort();
    return s;
  });
  delete comm;
  return result;
}

ultraccResult_t ultraccCommAbort(ultraccComm_t comm) {
  if (comm == nullptr) return Fail(nullptr, absl::InvalidArgumentError("comm is NULL"));
  ultraccResult_t result = Guard(nullptr, [&]() -> absl::Status {
    ultracc::client::ForgetGroupedOperations(comm->impl.get());
    comm->impl->Abort();
    return absl::OkStatus();
  });
  delete comm;
  return result;
}

ultraccResult_t ultraccCommGetAsyncError(ultraccComm_t comm, ultraccResult_t* async_error) {
  return Guard(comm, [&]() -> absl::Status {
    if (auto s = CheckComm(comm); !s.ok()) return s;
    if (async_error == nullptr) return absl::InvalidArgumentError("async_error is NULL");
    *async_error = ToResult(comm->impl->async_error());
    return absl::OkStatus();
  });
}

ultraccResult_t ultraccStreamCreate(ultraccStream_t* stream) {
  return Guard(nullptr, [&]() -> absl::Status {
    if (stream == nullptr) return absl::InvalidArgumentError("stream is NULL");
    *stream = new ultraccStream;
    return absl::OkStatus();
  });
}

ultraccResult_t ultraccStreamDestroy(ultraccStream_t stream) {
  return Guard(nullptr, [&]() -> absl::Status {
    if (stream == nullptr) return absl::InvalidArgumentError("stream is NULL");
    delete stream;  // drains the queue first
    return absl::OkStatus();
  });
}

ultraccResult_t ultraccStreamSynchronize(ultraccStream_t stream) {
  return Guard(nullptr, [&]() -> absl::Status {
    if (stream == nullptr) return absl::InvalidArgumentError("stream is NULL");
    absl::StatusOr<Config> config = ProcessConfig();
    if (!config.ok()) return config.status();
    // Each queued operation has its own timeout; this bound only catches a stuck queue.
    return stream->impl.Synchronize(absl::Now() + 4 * config->timeout);
  });
}

ultraccResult_t ultraccStreamQuery(ultraccStream_t stream) {
  if (stream == nullptr) return Fail(nullptr, absl::InvalidArgumentError("stream is NULL"));
  absl::Status s = stream->impl.Query();
  if (absl::IsUnavailable(s) && s.message() == "in progress") return ultraccInProgress;
  return s.ok() ? ultraccSuccess : Fail(nullptr, s);
}

ultraccResult_t ultraccMemAlloc(void** ptr, size_t bytes) {
  return Guard(nullptr, [&]() -> absl::Status {
    if (ptr == nullptr) return absl::InvalidArgumentError("ptr is NULL");
    absl::StatusOr<void*> p = ultracc::client::AllocateBuffer(bytes);
    if (!p.ok()) return p.status();
    *ptr = *p;
    return absl::OkStatus();
  });
}

ultraccResult_t ultraccMemFree(void* ptr) {
  return Guard(nullptr, [&] { return ultracc::client::FreeBuffer(ptr); });
}

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
