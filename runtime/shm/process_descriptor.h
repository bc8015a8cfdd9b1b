// Descriptors of another process of this host, opened through /proc/<pid>/fd/<fd>: how the shared
// memory of processes that never exchanged a socket (the daemons of nodes on one host, the members
// of the shm transport) is reached. Opening needs the same rights as reading the other process's
// memory (same user, or root), which the processes of one job have.
#pragma once

#include <sys/types.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ultracc::shm {

// An owned file descriptor: closed when it goes out of scope; move-only.
class OwnedFd {
 public:
  OwnedFd() = default;
  explicit OwnedFd(int fd) : fd_(fd) {}
  OwnedFd(OwnedFd&& other) noexcept : fd_(other.Release()) {}
  OwnedFd& operator=(OwnedFd&& other) noexcept;
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  ~OwnedFd();

  int get() const { return fd_; }
  // Hands the descriptor over; this object holds none after.
  int Release();

 private:
  int fd_ = -1;
};

// Opens (read-write, close-on-exec) what descriptor `fd` of process `pid` refers to: for a memfd,
// the same memory. Errors name `what`, the path and the cause.
absl::StatusOr<OwnedFd> OpenProcessDescriptor(pid_t pid, int fd, absl::string_view what);

// A duplicate of this process's `fd`, owned.
absl::StatusOr<OwnedFd> Duplicate(int fd, absl::string_view what);

}  // namespace ultracc::shm
