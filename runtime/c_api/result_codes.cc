// Status to result-code mapping; see result_codes.h.
#include "runtime/c_api/result_codes.h"

namespace ultracc::c_api {

ultraccResult_t ToResult(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return ultraccSuccess;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return ultraccInvalidArgument;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kUnimplemented:
      return ultraccInvalidUsage;
    case absl::StatusCode::kDeadlineExceeded:
      return ultraccTimeout;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      return ultraccRemoteError;
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kNotFound:
      return ultraccSystemError;
    default:
      return ultraccInternalError;
  }
}

}  // namespace ultracc::c_api
