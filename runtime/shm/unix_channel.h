// UnixChannel and UnixListener: the rank <-> ultraccd handshake socket.
//
// SOCK_SEQPACKET keeps message boundaries (one Send is one Recv) and carries fds (SCM_RIGHTS),
// which is how memfds reach the other process. Names live in the Linux abstract namespace, so
// there is no socket file to clean up when a process dies. Names are given without the leading
// NUL and are shown with a leading '@' in error messages, as ss(8) does.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace ultracc::shm {

// One received message. The fds were opened (close-on-exec) in this process: the caller owns
// them and must close them or hand them to an owner such as SharedRegion::Map.
struct Message {
  std::string bytes;
  std::vector<int> fds;
};

// One connected end of a channel; move-only, closes its socket on destruction. Not thread-safe:
// one thread sends and one thread receives at a time.
class UnixChannel {
 public:
  // Largest payload of one message.
  static constexpr size_t kMaxMessageBytes = 64 * 1024;
  // Most fds that one message may carry (the kernel's SCM_MAX_FD): a one-node job's welcome
  // carries the call board and every local rank's arena.
  static constexpr size_t kMaxFdsPerMessage = 253;

  // Connects to the listener `name`, retrying until `deadline` while nobody listens yet (the
  // daemon may still be starting). DeadlineExceeded names the socket and the last error.
  static absl::StatusOr<UnixChannel> Connect(absl::string_view name, absl::Time deadline);

  UnixChannel() = default;
  UnixChannel(UnixChannel&& other) noexcept;
  UnixChannel& operator=(UnixChannel&& other) noexcept;
  UnixChannel(const UnixChannel&) = delete;
  UnixChannel& operator=(const UnixChannel&) = delete;
  ~UnixChannel();

  // Sends one message of 1..kMaxMessageBytes bytes with up to kMaxFdsPerMessage fds attached.
  // The fds stay owned by the caller (the peer receives duplicates). Empty payloads are rejected
  // because a zero-length SEQPACKET read cannot be told apart from the peer closing. Blocks only
  // while the peer's receive queue is full. Unavailable("... closed by peer") if the peer is gone.
  absl::Status Send(absl::string_view bytes, absl::Span<const int> fds = {});
  // Waits until `deadline` for one message. Unavailable("... closed by peer") when the peer has
  // closed its end; DeadlineExceeded on timeout. A deadline in the past polls once.
  absl::StatusOr<Message> Recv(absl::Time deadline);

  // Process id of the peer as recorded by the kernel at connect time (SO_PEERCRED).
  absl::StatusOr<pid_t> PeerPid() const;
  int fd() const { return fd_; }
  // The socket name this channel was connected to or accepted on, for messages.
  const std::string& name() const { return name_; }

 private:
  friend class UnixListener;
  UnixChannel(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  void Reset();

  int fd_ = -1;
  std::string name_;
};

// A listening socket; move-only, closes on destruction (which frees the abstract name at once).
// Accept is meant for one thread at a time.
class UnixListener {
 public:
  // Binds and listens on the abstract name `name` (1..107 bytes). AlreadyExists if another
  // socket holds the name.
  static absl::StatusOr<UnixListener> Listen(absl::string_view name);

  UnixListener() = default;
  UnixListener(UnixListener&& other) noexcept;
  UnixListener& operator=(UnixListener&& other) noexcept;
  UnixListener(const UnixListener&) = delete;
  UnixListener& operator=(const UnixListener&) = delete;
  ~UnixListener();

  // Waits until `deadline` for the next connection; DeadlineExceeded on timeout.
  absl::StatusOr<UnixChannel> Accept(absl::Time deadline);

  int fd() const { return fd_; }
  const std::string& name() const { return name_; }

 private:
  UnixListener(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  void Reset();

  int fd_ = -1;
  std::string name_;
};

}  // namespace ultracc::shm
