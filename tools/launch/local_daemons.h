// The ultraccd processes `ultracc launch` starts on this host when no --daemons are given: one per
// emulated node, each on a free loopback port, all gone when the launcher ends.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ultracc::launch {

class LocalDaemons {
 public:
  LocalDaemons() = default;
  ~LocalDaemons();  // Stop() if not done
  LocalDaemons(const LocalDaemons&) = delete;
  LocalDaemons& operator=(const LocalDaemons&) = delete;

  // Starts `count` daemons of `binary` sharing `token`; returns their control addresses.
  absl::StatusOr<std::vector<std::string>> Start(const std::string& binary, int count,
                                                 const std::string& token, absl::Time deadline);
  // Waits up to `grace` for the daemons to exit (after a Shutdown call), then SIGKILLs the rest.
  void Stop(absl::Duration grace);

 private:
  std::vector<pid_t> pids_;
};

// The ultraccd installed next to the running executable.
std::string DaemonBinaryNextToSelf();

}  // namespace ultracc::launch
