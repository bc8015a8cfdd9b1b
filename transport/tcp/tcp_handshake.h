// The two halves of connection setup between members of a TCP transport group:
// OutboundHandshake dials one peer (retrying until it listens) and introduces this member;
// InboundHandshake hears out one accepted socket and lets the transport judge it.
//
// Kept apart from TcpTransport so that the group-level policy (who dials whom, when Connect is
// done) reads separately from the per-socket mechanics (retries, timeouts, byte formats).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/steady_timer.hpp"
#include "transport/tcp/wire_format.h"

namespace ultracc::transport::tcp {

namespace asio = boost::asio;

// TCP_NODELAY (messages are latency-bound) and the configured kernel buffer sizes. Buffer sizes
// are set before connecting so TCP can negotiate a large enough window scale.
void TuneSocket(asio::ip::tcp::socket& socket, size_t buffer_bytes);

// Dials one peer until it accepts this member or Cancel() is called. Refused connections (the
// peer is not listening yet) and connections dropped mid-handshake are retried with backoff; a
// refusal by the peer's handshake is final.
//
// Concurrency: lives on the I/O thread only; handlers hold a shared_ptr to it, and the transport
// keeps one to cancel it.
class OutboundHandshake : public std::enable_shared_from_this<OutboundHandshake> {
 public:
  // Called once, on the I/O thread, unless cancelled first.
  using Done = std::function<void(absl::StatusOr<asio::ip::tcp::socket>)>;

  OutboundHandshake(asio::io_context& io, wire::Hello hello, int peer, std::string address,
                    std::vector<asio::ip::tcp::endpoint> endpoints, size_t buffer_bytes, Done done);
  void Start();
  // Stops retrying and closes the socket; Done is not called afterwards.
  void Cancel();
  // Why the latest attempt failed, for a timeout message.
  const std::string& last_error() const { return last_error_; }

 private:
  void Attempt();
  void OnConnected(const boost::system::error_code& error);
  void OnAck(const boost::system::error_code& error);
  void Retry(std::string error);
  void Finish(absl::StatusOr<asio::ip::tcp::socket> result);
  std::string Prefix() const;

  wire::Hello hello_;
  const int peer_;
  const std::string address_;
  const std::vector<asio::ip::tcp::endpoint> endpoints_;
  const size_t buffer_bytes_;
  Done done_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer backoff_timer_;
  std::vector<uint8_t> hello_bytes_;
  wire::AckBytes ack_bytes_{};
  absl::Duration backoff_ = absl::Milliseconds(5);
  size_t attempts_ = 0;
  bool finished_ = false;
  std::string last_error_ = "no attempt finished yet";
};

// Reads the Hello on one accepted socket, asks `judge` for a verdict, replies, and hands the socket
// over if accepted. Strays that send nothing are dropped after `timeout`.
//
// Concurrency: like OutboundHandshake.
class InboundHandshake : public std::enable_shared_from_this<InboundHandshake> {
 public:
  // Decides on a hello; an accepting judge has claimed the rank.
  using Judge = std::function<wire::Verdict(const wire::Hello&)>;
  // Called once unless cancelled: the verdict (if a hello was read) and the socket or why not.
  using Done = std::function<void(const wire::Hello&, std::optional<wire::Verdict>,
                                  absl::StatusOr<asio::ip::tcp::socket>)>;

  InboundHandshake(asio::ip::tcp::socket socket, int own_rank, absl::Duration timeout, Judge judge,
                   Done done);
  void Start();
  void Cancel();

 private:
  void OnFixed(const boost::system::error_code& error);
  void OnKey(const boost::system::error_code& error);
  void OnReplied(const boost::system::error_code& error);
  void Finish(absl::StatusOr<asio::ip::tcp::socket> result);

  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  const int own_rank_;
  const absl::Duration timeout_;
  Judge judge_;
  Done done_;
  std::string remote_;
  wire::HelloFixedBytes fixed_{};
  wire::Hello hello_;
  std::optional<wire::Verdict> verdict_;
  wire::AckBytes ack_bytes_{};
  bool finished_ = false;
};

}  // namespace ultracc::transport::tcp
