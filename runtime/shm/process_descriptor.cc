// Opening another process's descriptors; see process_descriptor.h.
#include "runtime/shm/process_descriptor.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ultracc::shm {

OwnedFd& OwnedFd::operator=(OwnedFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.Release();
  }
  return *this;
}

OwnedFd::~OwnedFd() {
  if (fd_ >= 0) close(fd_);
}

int OwnedFd::Release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

absl::StatusOr<OwnedFd> OpenProcessDescriptor(pid_t pid, int fd, absl::string_view what) {
  if (pid <= 0 || fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot open ", what, ": no process ", pid, " or descriptor ", fd));
  }
  const std::string path = absl::StrCat("/proc/", pid, "/fd/", fd);
  const int opened = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (opened < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot open ", what, " at ", path));
  }
  return OwnedFd(opened);
}

absl::StatusOr<OwnedFd> Duplicate(int fd, absl::string_view what) {
  const int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return absl::ErrnoToStatus(errno, absl::StrCat("cannot duplicate ", what));
  return OwnedFd(copy);
}

}  // namespace ultracc::shm
