// Per-socket connection setup of the TCP transport; see tcp_handshake.h.
#include "transport/tcp/tcp_handshake.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/asio/error.hpp"
#include "boost/asio/read.hpp"
#include "boost/asio/write.hpp"

namespace ultracc::transport::tcp {
namespace {

constexpr absl::Duration kMaxBackoff = absl::Milliseconds(200);

std::string DescribeError(const boost::system::error_code& error) {
  if (error == asio::error::eof) return "connection closed by the other side";
  return error.message();
}

}  // namespace

void TuneSocket(asio::ip::tcp::socket& socket, size_t buffer_bytes) {
  // Failures are ignored on purpose: the kernel caps buffer sizes (net.core.*mem_max) and a
  // smaller buffer only costs bandwidth, never correctness.
  boost::system::error_code ignored;
  socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  const int bytes = static_cast<int>(std::min<size_t>(buffer_bytes, 1u << 30));
  socket.set_option(asio::socket_base::send_buffer_size(bytes), ignored);
  socket.set_option(asio::socket_base::receive_buffer_size(bytes), ignored);
}

OutboundHandshake::OutboundHandshake(asio::io_context& io, wire::Hello hello, int peer,
                                     std::string address,
                                     std::vector<asio::ip::tcp::endpoint> endpoints,
                                     size_t buffer_bytes, Done done)
    : hello_(std::move(hello)),
      peer_(peer),
      address_(std::move(address)),
      endpoints_(std::move(endpoints)),
      buffer_bytes_(buffer_bytes),
      done_(std::move(done)),
      socket_(io),
      backoff_timer_(io),
      hello_bytes_(wire::EncodeHello(hello_)) {}

void OutboundHandshake::Start() { Attempt(); }

void OutboundHandshake::Cancel() {
  finished_ = true;
  done_ = nullptr;
  boost::system::error_code ignored;
  socket_.close(ignored);
  backoff_timer_.cancel();
}

void OutboundHandshake::Attempt() {
  if (finished_) return;
  // Alternate between resolved endpoints (e.g. IPv4 and IPv6 of one name).
  const asio::ip::tcp::endpoint& endpoint = endpoints_[attempts_++ % endpoints_.size()];
  boost::system::error_code error;
  socket_.close(error);
  socket_.open(endpoint.protocol(), error);
  if (error) {
    Retry(absl::StrCat("cannot open a socket: ", error.message()));
    return;
  }
  TuneSocket(socket_, buffer_bytes_);
  socket_.async_connect(endpoint, [self = shared_from_this()](const boost::system::error_code& e) {
    self->OnConnected(e);
  });
}

void OutboundHandshake::OnConnected(const boost::system::error_code& error) {
  if (finished_) return;
  if (error) {
    Retry(absl::StrCat("connect: ", DescribeError(error)));
    return;
  }
  asio::async_write(socket_, asio::buffer(hello_bytes_),
                    [self = shared_from_this()](const boost::system::error_code& e, size_t) {
                      if (self->finished_) return;
                      if (e) {
                        self->Retry(absl::StrCat("sending the handshake: ", DescribeError(e)));
                        return;
                      }
                      asio::async_read(
                          self->socket_, asio::buffer(self->ack_bytes_),
                          [self](const boost::system::error_code& e2, size_t) { self->OnAck(e2); });
                    });
}

void OutboundHandshake::OnAck(const boost::system::error_code& error) {
  if (finished_) return;
  if (error) {
    // The peer may be shutting down a listener from an earlier run; worth another try.
    Retry(absl::StrCat("waiting for the handshake reply: ", DescribeError(error)));
    return;
  }
  std::optional<wire::Ack> ack = wire::DecodeAck(ack_bytes_);
  if (!ack) {
    Finish(absl::FailedPreconditionError(
        absl::StrCat(Prefix(), " is not an ultracc tcp member (bad handshake reply)")));
  } else if (ack->verdict != wire::Verdict::kAccepted) {
    Finish(absl::PermissionDeniedError(absl::StrCat(Prefix(), " refused this member (rank ",
                                                    hello_.rank,
                                                    "): ", wire::VerdictName(ack->verdict))));
  } else if (ack->rank != static_cast<uint32_t>(peer_)) {
    Finish(absl::FailedPreconditionError(
        absl::StrCat(Prefix(), " answered as rank ", ack->rank, "; the address list is wrong")));
  } else {
    Finish(std::move(socket_));
  }
}

void OutboundHandshake::Retry(std::string error) {
  last_error_ = std::move(error);
  boost::system::error_code ignored;
  socket_.close(ignored);
  backoff_timer_.expires_after(absl::ToChronoNanoseconds(backoff_));
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  backoff_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& e) {
    if (!e) self->Attempt();
  });
}

void OutboundHandshake::Finish(absl::StatusOr<asio::ip::tcp::socket> result) {
  finished_ = true;
  backoff_timer_.cancel();
  if (!result.ok()) {
    last_error_ = std::string(result.status().message());
    boost::system::error_code ignored;
    socket_.close(ignored);
  }
  Done done = std::move(done_);
  done_ = nullptr;
  if (done) done(std::move(result));
}

std::string OutboundHandshake::Prefix() const {
  return absl::StrCat("tcp rank ", hello_.rank, ": peer rank ", peer_, " at ", address_);
}

InboundHandshake::InboundHandshake(asio::ip::tcp::socket socket, int own_rank,
                                   absl::Duration timeout, Judge judge, Done done)
    : socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      own_rank_(own_rank),
      timeout_(timeout),
      judge_(std::move(judge)),
      done_(std::move(done)) {}

void InboundHandshake::Start() {
  boost::system::error_code ignored;
  auto endpoint = socket_.remote_endpoint(ignored);
  remote_ = absl::StrCat(endpoint.address().to_string(), ":", endpoint.port());
  // A stray that connects and stays silent must not hold a socket forever.
  timer_.expires_after(absl::ToChronoNanoseconds(timeout_));
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& e) {
    if (e || self->finished_) return;
    self->Finish(absl::DeadlineExceededError(
        absl::StrCat("tcp rank ", self->own_rank_, ": connection from ", self->remote_,
                     " completed no handshake within ", absl::FormatDuration(self->timeout_))));
  });
  asio::async_read(socket_, asio::buffer(fixed_),
                   [self = shared_from_this()](const boost::system::error_code& e, size_t) {
                     self->OnFixed(e);
                   });
}

void InboundHandshake::Cancel() {
  finished_ = true;
  done_ = nullptr;
  judge_ = nullptr;
  boost::system::error_code ignored;
  socket_.close(ignored);
  timer_.cancel();
}

void InboundHandshake::OnFixed(const boost::system::error_code& error) {
  if (finished_) return;
  if (error) {
    Finish(absl::UnavailableError(
        absl::StrCat("tcp rank ", own_rank_, ": connection from ", remote_,
                     " dropped before its handshake: ", DescribeError(error))));
    return;
  }
  size_t key_bytes = 0;
  std::optional<wire::Hello> hello = wire::DecodeHelloFixed(fixed_, &key_bytes);
  if (!hello) {
    Finish(absl::InvalidArgumentError(
        absl::StrCat("tcp rank ", own_rank_, ": connection from ", remote_,
                     " is not an ultracc tcp member (bad magic or a key longer than ",
                     wire::kMaxGroupKeyBytes, " bytes)")));
    return;
  }
  hello_ = std::move(*hello);
  hello_.group_key.resize(key_bytes);
  if (key_bytes == 0) {
    OnKey({});
    return;
  }
  asio::async_read(
      socket_, asio::buffer(hello_.group_key.data(), key_bytes),
      [self = shared_from_this()](const boost::system::error_code& e, size_t) { self->OnKey(e); });
}

void InboundHandshake::OnKey(const boost::system::error_code& error) {
  if (finished_) return;
  if (error) {
    Finish(absl::UnavailableError(
        absl::StrCat("tcp rank ", own_rank_, ": connection from ", remote_,
                     " dropped during its handshake: ", DescribeError(error))));
    return;
  }
  verdict_ = judge_(hello_);
  ack_bytes_ = wire::EncodeAck({*verdict_, static_cast<uint32_t>(own_rank_)});
  asio::async_write(socket_, asio::buffer(ack_bytes_),
                    [self = shared_from_this()](const boost::system::error_code& e, size_t) {
                      self->OnReplied(e);
                    });
}

void InboundHandshake::OnReplied(const boost::system::error_code& error) {
  if (finished_) return;
  if (error) {
    Finish(absl::UnavailableError(
        absl::StrCat("tcp rank ", own_rank_, ": connection from ", remote_, " claiming rank ",
                     hello_.rank, " dropped before our reply: ", DescribeError(error))));
  } else if (*verdict_ != wire::Verdict::kAccepted) {
    Finish(absl::PermissionDeniedError(absl::StrCat(
        "tcp rank ", own_rank_, ": refused a connection from ", remote_, " claiming rank ",
        hello_.rank, " of ", hello_.size, ": ", wire::VerdictName(*verdict_))));
  } else {
    Finish(std::move(socket_));
  }
}

void InboundHandshake::Finish(absl::StatusOr<asio::ip::tcp::socket> result) {
  finished_ = true;
  timer_.cancel();
  if (!result.ok()) {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }
  Done done = std::move(done_);
  done_ = nullptr;
  judge_ = nullptr;
  if (done) done(hello_, verdict_, std::move(result));
}

}  // namespace ultracc::transport::tcp
