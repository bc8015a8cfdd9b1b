// Abstract-namespace SOCK_SEQPACKET sockets with fd passing; see unix_channel.h.
#include "runtime/shm/unix_channel.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ultracc::shm {
namespace {

struct AbstractAddress {
  sockaddr_un addr;
  socklen_t length;
};

absl::StatusOr<AbstractAddress> MakeAbstractAddress(absl::string_view name) {
  AbstractAddress a;
  std::memset(&a.addr, 0, sizeof(a.addr));
  // One byte of sun_path is taken by the leading NUL that marks the abstract namespace.
  constexpr size_t kMaxName = sizeof(a.addr.sun_path) - 1;
  if (name.empty() || name.size() > kMaxName) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unix socket name '@", name, "' is ", name.size(), " bytes; it must be 1..", kMaxName));
  }
  a.addr.sun_family = AF_UNIX;
  std::memcpy(a.addr.sun_path + 1, name.data(), name.size());
  // The length, not a terminator, delimits abstract names: trailing NULs would be part of it.
  a.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  return a;
}

int PollTimeoutMs(absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return -1;
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  // Rounded up so a wait never wakes just short of the deadline and spins on 0 ms polls.
  int64_t ms = absl::ToInt64Milliseconds(left + absl::Milliseconds(1) - absl::Nanoseconds(1));
  return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
}

// OK once `fd` is readable or has a hangup/error to report; DeadlineExceeded otherwise.
absl::Status PollReadable(int fd, absl::Time deadline, absl::string_view waiting_for) {
  while (true) {
    pollfd p = {fd, POLLIN, 0};
    int rc = poll(&p, 1, PollTimeoutMs(deadline));
    if (rc > 0) return absl::OkStatus();
    if (rc == 0) {
      if (absl::Now() >= deadline) {
        return absl::DeadlineExceededError(absl::StrCat("timed out waiting for ", waiting_for));
      }
      continue;
    }
    if (errno != EINTR) {
      return absl::ErrnoToStatus(errno, absl::StrCat("poll while waiting for ", waiting_for));
    }
  }
}

bool IsPeerGone(int err) { return err == EPIPE || err == ECONNRESET || err == ENOTCONN; }

void CloseAll(const std::vector<int>& fds) {
  for (int fd : fds) close(fd);
}

}  // namespace

absl::StatusOr<UnixChannel> UnixChannel::Connect(absl::string_view name, absl::Time deadline) {
  absl::StatusOr<AbstractAddress> address = MakeAbstractAddress(name);
  if (!address.ok()) return address.status();
  absl::Duration backoff = absl::Milliseconds(1);
  while (true) {
    // Non-blocking so that a listener with a full backlog yields EAGAIN (retried below) instead of
    // blocking past the deadline; the connected socket is switched back to blocking.
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      return absl::ErrnoToStatus(errno,
                                 absl::StrCat("socket() to connect to unix socket '@", name, "'"));
    }
    if (connect(fd, reinterpret_cast<const sockaddr*>(&address->addr), address->length) == 0) {
      int flags = fcntl(fd, F_GETFL);
      if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        int err = errno;
        close(fd);
        return absl::ErrnoToStatus(
            err, absl::StrCat("making connection to unix socket '@", name, "' blocking"));
      }
      return UnixChannel(fd, std::string(name));
    }
    int err = errno;
    close(fd);
    // ECONNREFUSED: nobody listens yet. EAGAIN: backlog full. Both may clear before the deadline.
    if (err != ECONNREFUSED && err != ENOENT && err != EAGAIN && err != EINTR) {
      return absl::ErrnoToStatus(err, absl::StrCat("connect to unix socket '@", name, "'"));
    }
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(absl::StrCat(
          "no listener accepted a connection on unix socket '@", name,
          "' before the deadline; last attempt: ", absl::ErrnoToStatus(err, "connect").message()));
    }
    absl::SleepFor(std::min(backoff, left));
    backoff = std::min(backoff * 2, absl::Milliseconds(50));
  }
}

UnixChannel::UnixChannel(UnixChannel&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), name_(std::move(other.name_)) {}

UnixChannel& UnixChannel::operator=(UnixChannel&& other) noexcept {
  if (this != &other) {
    Reset();
    fd_ = std::exchange(other.fd_, -1);
    name_ = std::move(other.name_);
  }
  return *this;
}

UnixChannel::~UnixChannel() { Reset(); }

void UnixChannel::Reset() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

absl::Status UnixChannel::Send(absl::string_view bytes, absl::Span<const int> fds) {
  if (fd_ < 0) return absl::FailedPreconditionError("send on an unconnected unix channel");
  if (bytes.empty() || bytes.size() > kMaxMessageBytes) {
    return absl::InvalidArgumentError(absl::StrCat("message of ", bytes.size(),
                                                   " bytes to unix socket '@", name_,
                                                   "' must be 1..", kMaxMessageBytes, " bytes"));
  }
  if (fds.size() > kMaxFdsPerMessage) {
    return absl::InvalidArgumentError(absl::StrCat("message to unix socket '@", name_, "' carries ",
                                                   fds.size(), " fds; at most ", kMaxFdsPerMessage,
                                                   " allowed"));
  }
  iovec iov = {const_cast<char*>(bytes.data()), bytes.size()};
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage)];
  if (!fds.empty()) {
    std::memset(control, 0, sizeof(control));
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
  }
  while (true) {
    // MSG_NOSIGNAL: a vanished peer must become a Status, not a SIGPIPE that kills the process.
    if (sendmsg(fd_, &msg, MSG_NOSIGNAL) >= 0) return absl::OkStatus();
    int err = errno;
    if (err == EINTR) continue;
    if (IsPeerGone(err)) {
      return absl::UnavailableError(absl::StrCat("send of ", bytes.size(),
                                                 " bytes on unix socket '@", name_,
                                                 "' failed: channel closed by peer"));
    }
    return absl::ErrnoToStatus(err, absl::StrCat("send of ", bytes.size(), " bytes and ",
                                                 fds.size(), " fds on unix socket '@", name_, "'"));
  }
}

absl::StatusOr<Message> UnixChannel::Recv(absl::Time deadline) {
  if (fd_ < 0) return absl::FailedPreconditionError("receive on an unconnected unix channel");
  Message out;
  out.bytes.resize(kMaxMessageBytes);
  const std::string waiting_for = absl::StrCat("a message on unix socket '@", name_, "'");
  while (true) {
    absl::Status ready = PollReadable(fd_, deadline, waiting_for);
    if (!ready.ok()) return ready;
    iovec iov = {out.bytes.data(), out.bytes.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage)];
    msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    // MSG_CMSG_CLOEXEC: received fds must not leak into processes this one may exec.
    ssize_t n = recvmsg(fd_, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) {
      int err = errno;
      if (err == EINTR || err == EAGAIN || err == EWOULDBLOCK) continue;
      if (IsPeerGone(err)) {
        return absl::UnavailableError(
            absl::StrCat("unix socket '@", name_, "' reset: closed by peer"));
      }
      return absl::ErrnoToStatus(err, absl::StrCat("receive on unix socket '@", name_, "'"));
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      const unsigned char* data = CMSG_DATA(c);
      for (size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, data + i * sizeof(int), sizeof(int));
        out.fds.push_back(fd);
      }
    }
    // Send rejects empty payloads, so a zero-length read can only be the end of the stream.
    if (n == 0) {
      CloseAll(out.fds);
      return absl::UnavailableError(absl::StrCat("unix socket '@", name_, "' closed by peer"));
    }
    if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
      CloseAll(out.fds);
      return absl::DataLossError(absl::StrCat("message on unix socket '@", name_, "' exceeded ",
                                              kMaxMessageBytes, " bytes or ", kMaxFdsPerMessage,
                                              " fds and was truncated; its fds were closed"));
    }
    out.bytes.resize(static_cast<size_t>(n));
    return out;
  }
}

absl::StatusOr<pid_t> UnixChannel::PeerPid() const {
  ucred cred = {};
  socklen_t length = sizeof(cred);
  if (getsockopt(fd_, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) {
    return absl::ErrnoToStatus(
        errno, absl::StrCat("SO_PEERCRED on unix socket '@", name_, "' (fd ", fd_, ")"));
  }
  return cred.pid;
}

absl::StatusOr<UnixListener> UnixListener::Listen(absl::string_view name) {
  absl::StatusOr<AbstractAddress> address = MakeAbstractAddress(name);
  if (!address.ok()) return address.status();
  // Non-blocking so a connection that vanishes between poll() and accept() cannot block Accept.
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("socket() to listen on '@", name, "'"));
  }
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address->addr), address->length) != 0) {
    int err = errno;
    close(fd);
    if (err == EADDRINUSE) {
      return absl::AlreadyExistsError(
          absl::StrCat("unix socket name '@", name, "' is already held by another listener"));
    }
    return absl::ErrnoToStatus(err, absl::StrCat("bind to unix socket '@", name, "'"));
  }
  if (listen(fd, SOMAXCONN) != 0) {
    int err = errno;
    close(fd);
    return absl::ErrnoToStatus(err, absl::StrCat("listen on unix socket '@", name, "'"));
  }
  return UnixListener(fd, std::string(name));
}

UnixListener::UnixListener(UnixListener&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), name_(std::move(other.name_)) {}

UnixListener& UnixListener::operator=(UnixListener&& other) noexcept {
  if (this != &other) {
    Reset();
    fd_ = std::exchange(other.fd_, -1);
    name_ = std::move(other.name_);
  }
  return *this;
}

UnixListener::~UnixListener() { Reset(); }

void UnixListener::Reset() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

absl::StatusOr<UnixChannel> UnixListener::Accept(absl::Time deadline) {
  if (fd_ < 0) return absl::FailedPreconditionError("accept on a closed unix listener");
  const std::string waiting_for = absl::StrCat("a connection on unix socket '@", name_, "'");
  while (true) {
    absl::Status ready = PollReadable(fd_, deadline, waiting_for);
    if (!ready.ok()) return ready;
    int fd = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) return UnixChannel(fd, name_);
    int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == ECONNABORTED) continue;
    return absl::ErrnoToStatus(err, absl::StrCat("accept on unix socket '@", name_, "'"));
  }
}

}  // namespace ultracc::shm
