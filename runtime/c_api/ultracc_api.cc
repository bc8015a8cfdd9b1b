// The C API (runtime/include/ultracc.h) of errors, versions, communicators, streams and memory:
// argument checks, then hand-off to client/ classes. Every entry point catches everything, so no
// C++ exception crosses into C. Collectives are in collectives_api.cc.
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "collectives/datatype.h"
#include "runtime/c_api/api_support.h"
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

namespace {

using ultracc::Config;
using ultracc::c_api::CheckComm;
using ultracc::c_api::Fail;
using ultracc::c_api::Guard;
using ultracc::c_api::MakeComm;
using ultracc::c_api::ProcessConfig;
using ultracc::c_api::ToResult;
using ultracc::client::Communicator;

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
  return ultracc::c_api::ThreadLastError();
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

namespace {

// The process's settings with `settings`' fields (those not left at their initial values) over
// them; InvalidArgument naming a field out of range.
absl::StatusOr<Config> CommConfig(const ultraccConfig_t* settings) {
  absl::StatusOr<Config> config = ProcessConfig();
  if (!config.ok() || settings == nullptr) return config;
  // Only sizes this library knows: the fields grow at the end, and a size it does not know means
  // a struct not started from ULTRACC_CONFIG_INITIALIZER.
  if (settings->size != sizeof(ultraccConfig_t)) {
    return absl::InvalidArgumentError(
        absl::StrCat("config->size is ", settings->size, ", not sizeof(ultraccConfig_t) = ",
                     sizeof(ultraccConfig_t), "; start from ULTRACC_CONFIG_INITIALIZER"));
  }
  if (settings->timeout_ms < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("config->timeout_ms is ", settings->timeout_ms, ", must be >= 0"));
  }
  if (settings->timeout_ms > 0) config->timeout = absl::Milliseconds(settings->timeout_ms);
  if (settings->algorithm != nullptr) {
    absl::StatusOr<ultracc::collectives::Algorithm> algorithm =
        ultracc::collectives::ParseAlgorithm(settings->algorithm);
    if (!algorithm.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("config->algorithm: ", algorithm.status().message()));
    }
    config->algorithm = *algorithm;
  }
  return config;
}

ultraccResult_t InitRank(ultraccComm_t* comm, int nranks, ultraccUniqueId unique_id, int rank,
                         const ultraccConfig_t* settings) {
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
    absl::StatusOr<Config> config = CommConfig(settings);
    if (!config.ok()) return config.status();
    auto id = ultracc::client::DecodeUniqueId(unique_id.internal, sizeof(unique_id.internal));
    if (!id.ok()) return id.status();
    auto impl = ultracc::client::EmbeddedComm::Create(nranks, rank, *id, *config);
    if (!impl.ok()) return impl.status();
    return MakeComm(comm, *std::move(impl));
  });
}

}  // namespace

ultraccResult_t ultraccCommInitRank(ultraccComm_t* comm, int nranks, ultraccUniqueId unique_id,
                                    int rank) {
  return InitRank(comm, nranks, unique_id, rank, nullptr);
}

ultraccResult_t ultraccCommInitRankConfig(ultraccComm_t* comm, int nranks,
                                          ultraccUniqueId unique_id, int rank,
                                          const ultraccConfig_t* config) {
  return InitRank(comm, nranks, unique_id, rank, config);
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
  ultracc::c_api::ReleaseComm(comm);
  return result;
}

ultraccResult_t ultraccCommAbort(ultraccComm_t comm) {
  if (comm == nullptr) return Fail(nullptr, absl::InvalidArgumentError("comm is NULL"));
  ultraccResult_t result = Guard(nullptr, [&]() -> absl::Status {
    ultracc::client::ForgetGroupedOperations(comm->impl.get());
    comm->impl->Abort();
    return absl::OkStatus();
  });
  ultracc::c_api::ReleaseComm(comm);
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

}  // extern "C"
