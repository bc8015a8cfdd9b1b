// Shared pieces of the C API entry points; see api_support.h.
#include "runtime/c_api/api_support.h"

#include <exception>
#include <string>

#include "absl/strings/str_cat.h"
#include "runtime/c_api/result_codes.h"
#include "runtime/log.h"

namespace ultracc::c_api {
namespace {

thread_local std::string t_last_error;

}  // namespace

ultraccResult_t Fail(ultraccComm_t comm, const absl::Status& status) {
  std::string message(status.message());
  if (comm != nullptr && comm->impl) comm->impl->set_last_error(message);
  t_last_error = message;
  return ToResult(status);
}

namespace {

ultraccResult_t Run(ultraccComm_t comm, const std::function<absl::Status()>& body) {
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

}  // namespace

ultraccResult_t Guard(ultraccComm_t comm, const std::function<absl::Status()>& body) {
  if (comm == nullptr) return Run(comm, body);
  comm->references.fetch_add(1, std::memory_order_relaxed);
  const ultraccResult_t result = Run(comm, body);
  ReleaseComm(comm);
  return result;
}

void ReleaseComm(ultraccComm_t comm) {
  if (comm->references.fetch_sub(1, std::memory_order_acq_rel) == 1) delete comm;
}

absl::StatusOr<Config> ProcessConfig() {
  static const absl::StatusOr<Config>* config = [] {
    auto* c = new absl::StatusOr<Config>(Config::FromEnvironment());
    if (c->ok()) SetLogLevel((*c)->log_level);
    return c;
  }();
  return *config;
}

absl::Status CheckComm(ultraccComm_t comm) {
  if (comm == nullptr || !comm->impl) return absl::InvalidArgumentError("comm is NULL");
  return absl::OkStatus();
}

absl::Status MakeComm(ultraccComm_t* out, std::unique_ptr<client::Communicator> impl) {
  auto* comm = new ultraccComm;
  comm->impl = std::move(impl);
  *out = comm;
  return absl::OkStatus();
}

const char* ThreadLastError() { return t_last_error.c_str(); }

}  // namespace ultracc::c_api
