// Leveled logging; see log.h.
#include "runtime/log.h"

#include <unistd.h>

#include <atomic>
#include <string>

#include "absl/strings/str_cat.h"

namespace ultracc {
namespace {

std::atomic<int> g_level{1};

void Write(absl::string_view tag, absl::string_view message) {
  // One write per line keeps lines from different threads and processes whole.
  std::string line = absl::StrCat("ultracc[", getpid(), "] ", tag, ": ", message, "\n");
  (void)!write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace

void SetLogLevel(int level) { g_level.store(level, std::memory_order_relaxed); }
void LogError(absl::string_view message) { Write("error", message); }
void LogWarning(absl::string_view message) {
  if (g_level.load(std::memory_order_relaxed) >= 1) Write("warning", message);
}
void LogInfo(absl::string_view message) {
  if (g_level.load(std::memory_order_relaxed) >= 2) Write("info", message);
}

void LogDebug(absl::string_view subsystem, absl::string_view message) { Write(subsystem, message); }

}  // namespace ultracc
