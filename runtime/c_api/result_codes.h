// The one place where C++ statuses become the C API's result codes.
#pragma once

#include "absl/status/status.h"
#include "ultracc.h"

namespace ultracc::c_api {

ultraccResult_t ToResult(const absl::Status& status);

}  // namespace ultracc::c_api
