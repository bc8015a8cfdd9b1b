// memfd creation and mapping; see shared_region.h.
#include "runtime/shm/shared_region.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ultracc::shm {
namespace {

// The kernel limits memfd names to 249 bytes; longer debug names are cut, not rejected.
constexpr size_t kMaxMemfdName = 240;

absl::StatusOr<void*> MapShared(int fd, size_t bytes, absl::string_view what) {
  void* base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    return absl::ErrnoToStatus(errno, absl::StrCat("mmap of ", bytes, " bytes of ", what));
  }
  return base;
}

}  // namespace

absl::StatusOr<SharedRegion> SharedRegion::Create(absl::string_view debug_name, size_t bytes) {
  if (bytes == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("shared region '", debug_name, "' must be at least 1 byte, got 0"));
  }
  std::string name(debug_name.substr(0, kMaxMemfdName));
  int fd = memfd_create(name.c_str(), MFD_CLOEXEC);
  if (fd < 0) {
    return absl::ErrnoToStatus(
        errno, absl::StrCat("memfd_create('", name, "') for ", bytes, "-byte shared region"));
  }
  // ftruncate on a memfd only sets the size; no page is allocated until it is touched.
  if (ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
    int err = errno;
    close(fd);
    return absl::ErrnoToStatus(
        err, absl::StrCat("ftruncate of memfd '", name, "' to ", bytes, " bytes"));
  }
  absl::StatusOr<void*> base = MapShared(fd, bytes, absl::StrCat("memfd '", name, "'"));
  if (!base.ok()) {
    close(fd);
    return base.status();
  }
  return SharedRegion(*base, bytes, fd);
}

absl::StatusOr<SharedRegion> SharedRegion::Map(int fd, size_t bytes) {
  if (fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot map ", bytes, " bytes of invalid fd ", fd));
  }
  if (bytes == 0) {
    close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat("mapping of fd ", fd, " must be at least 1 byte, got 0"));
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return absl::ErrnoToStatus(err, absl::StrCat("fstat of fd ", fd, " to map ", bytes, " bytes"));
  }
  if (static_cast<unsigned long long>(st.st_size) < bytes) {
    close(fd);
    return absl::InvalidArgumentError(absl::StrCat(
        "fd ", fd, " holds ", st.st_size, " bytes, fewer than the ", bytes, " bytes asked to map"));
  }
  absl::StatusOr<void*> base = MapShared(fd, bytes, absl::StrCat("fd ", fd));
  if (!base.ok()) {
    close(fd);
    return base.status();
  }
  return SharedRegion(*base, bytes, fd);
}

SharedRegion::SharedRegion(SharedRegion&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      fd_(std::exchange(other.fd_, -1)) {}

SharedRegion& SharedRegion::operator=(SharedRegion&& other) noexcept {
  if (this != &other) {
    Reset();
    base_ = std::exchange(other.base_, nullptr);
    size_ = std::exchange(other.size_, 0);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

SharedRegion::~SharedRegion() { Reset(); }

void SharedRegion::Reset() {
  if (base_ != nullptr) munmap(base_, size_);
  if (fd_ >= 0) close(fd_);
  base_ = nullptr;
  size_ = 0;
  fd_ = -1;
}

}  // namespace ultracc::shm
