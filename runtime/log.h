// Minimal leveled logging to stderr, shared by the library, the daemon and the CLI.
#pragma once

#include "absl/strings/string_view.h"

namespace ultracc {

// 0 errors only, 1 warnings (default), 2 info. Set once from Config::log_level.
void SetLogLevel(int level);
void LogError(absl::string_view message);
void LogWarning(absl::string_view message);
void LogInfo(absl::string_view message);
// A trace line of a subsystem asked for by ULTRACC_DEBUG (tagged with its name, e.g. "TUNING"),
// written whatever the level: callers check the Config before calling.
void LogDebug(absl::string_view subsystem, absl::string_view message);

}  // namespace ultracc
