// The TCP transport: one socket per peer, all served by one Boost.Asio I/O thread.
//
// Setup is two-step so that members can exchange addresses through a bootstrap in between:
// Listen() binds an ephemeral port and reports address(); Connect() takes everyone's address and
// returns once this member has a connection to every other. To avoid both ends of a pair dialing
// each other, each member dials the ranks below it and accepts the ranks above it.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/steady_timer.hpp"
#include "common/completion.h"
#include "transport/tcp/tcp_connection.h"
#include "transport/tcp/tcp_handshake.h"
#include "transport/tcp/wire_format.h"
#include "transport/transport.h"

namespace ultracc::transport::tcp {

struct TcpOptions {
  int rank = 0;
  int size = 1;
  // Address to listen on and to advertise to peers.
  std::string bind_host = "127.0.0.1";
  // Members must present the same key in the handshake (job id + communicator id); strays that
  // present another key are refused.
  std::string group_key;
  // Upper bound on Connect() regardless of the deadline it is given.
  absl::Duration connect_timeout = absl::Seconds(60);
  // SO_SNDBUF / SO_RCVBUF of every socket (the kernel may cap it).
  size_t socket_buffer_bytes = 4 << 20;
};

// Concurrency: one I/O thread runs `io_` and is the only thread that touches the listener, the
// handshakes, the connections and every member marked "I/O thread" below. The public methods may
// be called from any thread: they only read immutable members and hand their work to the I/O
// thread with asio::post, which also orders a thread's posts (hence same-tag FIFO). Connect()
// blocks its caller on `connect_done_`, which the I/O thread completes.
class TcpTransport final : public ConnectableTransport {
 public:
  // Binds a listening socket on an ephemeral port of bind_host and starts the I/O thread.
  static absl::StatusOr<std::unique_ptr<TcpTransport>> Listen(const TcpOptions& options);
  // Closes every socket, fails pending requests with Cancelled, and joins the I/O thread.
  ~TcpTransport() override;

  // "host:port" that peers pass to Connect.
  std::string address() const override { return address_; }

  // Establishes one connection to every other member (addresses indexed by rank, own entry
  // ignored). Returns when all size-1 connections are up, or an error naming the peer rank and
  // address that could not be reached, by `deadline` or connect_timeout, whichever comes first.
  // Call once. Sends and receives may be posted before it returns; they flow once connected.
  absl::Status Connect(const std::vector<std::string>& addresses, absl::Time deadline) override;

  std::string Name() const override { return "tcp"; }
  int Rank() const override { return options_.rank; }
  int Size() const override { return options_.size; }
  void PostSend(int peer, uint64_t tag, const void* data, size_t bytes, Request* request) override;
  void PostRecv(int peer, uint64_t tag, void* data, size_t bytes, Request* request) override;
  void Abort(const absl::Status& cause) override;

 private:
  explicit TcpTransport(const TcpOptions& options);
  absl::Status OpenListener();
  absl::Status CheckPeer(int peer, const char* operation, bool null_data) const;

  // I/O thread only.
  void AcceptNext();
  wire::Verdict Judge(const wire::Hello& hello);
  void OnInbound(const wire::Hello& hello, std::optional<wire::Verdict> verdict,
                 absl::StatusOr<asio::ip::tcp::socket> result);
  void StartConnect(std::vector<std::vector<asio::ip::tcp::endpoint>> endpoints,
                    std::vector<std::string> addresses, absl::Time deadline);
  void Adopt(int peer, asio::ip::tcp::socket socket);
  void OnConnectDeadline(absl::Duration waited);
  void FinishConnect(absl::Status status);
  void Shutdown(const absl::Status& cause);

  const TcpOptions options_;
  std::string address_;  // set by Listen, then immutable
  // Declared before everything that holds sockets or timers, so it is destroyed after them.
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_guard_;
  asio::ip::tcp::acceptor acceptor_;                         // I/O thread
  asio::steady_timer accept_backoff_;                        // I/O thread
  asio::steady_timer connect_timer_;                         // I/O thread
  std::vector<std::unique_ptr<TcpConnection>> connections_;  // by peer rank; own entry null
  std::vector<bool> claimed_;  // I/O thread: ranks whose hello was accepted
  std::vector<std::shared_ptr<OutboundHandshake>> dialers_;  // I/O thread, by peer rank
  std::vector<std::weak_ptr<InboundHandshake>> inbound_;     // I/O thread
  std::vector<std::string> peer_addresses_;                  // I/O thread, once Connect starts
  std::string last_refusal_;                                 // I/O thread, for timeout messages
  int connected_ = 0;                                        // I/O thread
  bool connect_started_ = false;                             // I/O thread
  bool connect_finished_ = false;                            // I/O thread
  bool closed_ = false;                                      // I/O thread
  bool connect_called_ = false;  // caller of Connect (called once, from one thread)
  Completion connect_done_;
  std::thread io_thread_;
};

}  // namespace ultracc::transport::tcp
