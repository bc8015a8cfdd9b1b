// Group-level policy of the TCP transport: listening, who dials whom, when Connect is done, and
// shutdown. Per-socket mechanics live in tcp_handshake.cc and tcp_connection.cc.
#include "transport/tcp/tcp_transport.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "boost/asio/post.hpp"

namespace ultracc::transport::tcp {
namespace {

// How long Connect's caller waits beyond the deadline for the I/O thread to report it.
constexpr absl::Duration kConnectReportGrace = absl::Seconds(5);
constexpr absl::Duration kAcceptBackoff = absl::Milliseconds(10);

std::string JoinHostPort(const std::string& host, unsigned port) {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

// Splits "host:port" or "[v6-host]:port"; false if there is no port.
bool SplitHostPort(const std::string& address, std::string* host, std::string* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) return false;
  *host = address.substr(0, colon);
  *port = address.substr(colon + 1);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TcpTransport>> TcpTransport::Listen(const TcpOptions& options) {
  if (options.size < 1 || options.rank < 0 || options.rank >= options.size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tcp: rank ", options.rank, " is out of range for a group of size ", options.size));
  }
  if (options.group_key.size() > wire::kMaxGroupKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("tcp rank ", options.rank, ": group key of ", options.group_key.size(),
                     " bytes exceeds the limit of ", wire::kMaxGroupKeyBytes));
  }
  std::unique_ptr<TcpTransport> transport(new TcpTransport(options));
  if (absl::Status status = transport->OpenListener(); !status.ok()) return status;
  TcpTransport* raw = transport.get();
  transport->io_thread_ = std::thread([raw] { raw->io_.run(); });
  asio::post(raw->io_, [raw] { raw->AcceptNext(); });
  return transport;
}

TcpTransport::TcpTransport(const TcpOptions& options)
    : options_(options),
      work_guard_(asio::make_work_guard(io_)),
      acceptor_(io_),
      accept_backoff_(io_),
      connect_timer_(io_),
      connections_(options.size),
      claimed_(options.size, false),
      dialers_(options.size) {
  for (int peer = 0; peer < options.size; ++peer) {
    if (peer != options.rank) {
      connections_[peer] = std::make_unique<TcpConnection>(io_, options.rank, peer);
    }
  }
}

TcpTransport::~TcpTransport() {
  if (!io_thread_.joinable()) return;
  asio::post(io_, [this] {
    Shutdown(absl::CancelledError(
        absl::StrCat("tcp rank ", options_.rank, ": transport destroyed with requests pending")));
  });
  // Shutdown cancels every outstanding operation, so run() returns once their handlers ran.
  work_guard_.reset();
  io_thread_.join();
}

absl::Status TcpTransport::OpenListener() {
  boost::system::error_code error;
  asio::ip::tcp::endpoint endpoint;
  asio::ip::address host = asio::ip::make_address(options_.bind_host, error);
  if (!error) {
    endpoint = asio::ip::tcp::endpoint(host, 0);
  } else {
    asio::ip::tcp::resolver resolver(io_);
    auto results = resolver.resolve(options_.bind_host, "0", error);
    if (error || results.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tcp rank ", options_.rank, ": cannot resolve bind_host '",
                       options_.bind_host, "': ", error ? error.message() : "no address"));
    }
    endpoint = results.begin()->endpoint();
  }
  // Accepted sockets inherit the buffer sizes, which must be set before the SYN to take effect.
  const int buffer = static_cast<int>(std::min<size_t>(options_.socket_buffer_bytes, 1u << 30));
  acceptor_.open(endpoint.protocol(), error);
  if (!error) acceptor_.set_option(asio::socket_base::receive_buffer_size(buffer), error);
  if (!error) acceptor_.set_option(asio::socket_base::send_buffer_size(buffer), error);
  if (!error) acceptor_.bind(endpoint, error);
  if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
  if (!error) endpoint = acceptor_.local_endpoint(error);
  if (error) {
    return absl::UnavailableError(absl::StrCat("tcp rank ", options_.rank, ": cannot listen on ",
                                               options_.bind_host, ": ", error.message()));
  }
  address_ = JoinHostPort(options_.bind_host, endpoint.port());
  return absl::OkStatus();
}

absl::Status TcpTransport::Connect(const std::vector<std::string>& addresses, absl::Time deadline) {
  const int rank = options_.rank;
  if (addresses.size() != static_cast<size_t>(options_.size)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tcp rank ", rank, ": Connect got ", addresses.size(),
                     " addresses for a group of size ", options_.size));
  }
  if (connect_called_) {
    return absl::FailedPreconditionError(absl::StrCat("tcp rank ", rank, ": Connect called twice"));
  }
  connect_called_ = true;
  // Names are resolved here because lookups block, and the I/O thread must never block.
  std::vector<std::vector<asio::ip::tcp::endpoint>> endpoints(options_.size);
  asio::io_context lookup_io;
  asio::ip::tcp::resolver resolver(lookup_io);
  for (int peer = 0; peer < rank; ++peer) {
    std::string host, port;
    boost::system::error_code error;
    if (SplitHostPort(addresses[peer], &host, &port)) {
      for (const auto& entry : resolver.resolve(host, port, error)) {
        endpoints[peer].push_back(entry.endpoint());
      }
    }
    if (endpoints[peer].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tcp rank ", rank, ": cannot resolve address '", addresses[peer],
                       "' of peer rank ", peer, error ? ": " + error.message() : ""));
    }
  }
  deadline = std::min(deadline, absl::Now() + options_.connect_timeout);
  asio::post(io_, [this, endpoints = std::move(endpoints), addresses, deadline]() mutable {
    StartConnect(std::move(endpoints), std::move(addresses), deadline);
  });
  return connect_done_.Wait(deadline + kConnectReportGrace);
}

void TcpTransport::PostSend(int peer, uint64_t tag, const void* data, size_t bytes,
                            Request* request) {
  if (absl::Status status = CheckPeer(peer, "send to", data == nullptr && bytes > 0);
      !status.ok()) {
    request->Complete(std::move(status));
    return;
  }
  asio::post(io_, [connection = connections_[peer].get(), tag, data, bytes, request] {
    connection->PostSend(tag, data, bytes, request);
  });
}

void TcpTransport::PostRecv(int peer, uint64_t tag, void* data, size_t bytes, Request* request) {
  if (absl::Status status = CheckPeer(peer, "receive from", data == nullptr && bytes > 0);
      !status.ok()) {
    request->Complete(std::move(status));
    return;
  }
  asio::post(io_, [connection = connections_[peer].get(), tag, data, bytes, request] {
    connection->PostRecv(tag, data, bytes, request);
  });
}

void TcpTransport::Abort(const absl::Status& cause) {
  // An OK cause would make failed requests look successful.
  absl::Status status = cause.ok() ? absl::CancelledError(absl::StrCat("tcp rank ", options_.rank,
                                                                       ": aborted without a cause"))
                                   : cause;
  asio::post(io_, [this, status] { Shutdown(status); });
}

absl::Status TcpTransport::CheckPeer(int peer, const char* operation, bool null_data) const {
  if (peer < 0 || peer >= options_.size || peer == options_.rank) {
    return absl::InvalidArgumentError(
        absl::StrCat("tcp rank ", options_.rank, ": cannot ", operation, " peer rank ", peer,
                     " (group size ", options_.size, "; a member cannot address itself)"));
  }
  if (null_data) {
    return absl::InvalidArgumentError(absl::StrCat("tcp rank ", options_.rank, ": ", operation,
                                                   " peer rank ", peer,
                                                   " with a null buffer and a non-zero size"));
  }
  return absl::OkStatus();
}

void TcpTransport::AcceptNext() {
  acceptor_.async_accept([this](const boost::system::error_code& error,
                                asio::ip::tcp::socket socket) {
    if (closed_) return;
    if (error) {
      // E.g. out of file descriptors: back off instead of spinning on the error.
      accept_backoff_.expires_after(absl::ToChronoNanoseconds(kAcceptBackoff));
      accept_backoff_.async_wait([this](const boost::system::error_code& e) {
        if (!e && !closed_) AcceptNext();
      });
      return;
    }
    TuneSocket(socket, options_.socket_buffer_bytes);
    std::erase_if(inbound_, [](const std::weak_ptr<InboundHandshake>& h) { return h.expired(); });
    auto handshake = std::make_shared<InboundHandshake>(
        std::move(socket), options_.rank, options_.connect_timeout,
        [this](const wire::Hello& hello) { return Judge(hello); },
        [this](const wire::Hello& hello, std::optional<wire::Verdict> verdict,
               absl::StatusOr<asio::ip::tcp::socket> result) {
          OnInbound(hello, verdict, std::move(result));
        });
    inbound_.push_back(handshake);
    handshake->Start();
    AcceptNext();
  });
}

wire::Verdict TcpTransport::Judge(const wire::Hello& hello) {
  if (hello.version != wire::kVersion) return wire::Verdict::kWrongVersion;
  if (hello.group_key != options_.group_key) return wire::Verdict::kWrongGroupKey;
  if (hello.size != static_cast<uint32_t>(options_.size)) return wire::Verdict::kWrongSize;
  // Only higher ranks dial this member; anything else is a stray or a confused peer.
  if (hello.rank <= static_cast<uint32_t>(options_.rank) ||
      hello.rank >= static_cast<uint32_t>(options_.size)) {
    return wire::Verdict::kRankOutOfRange;
  }
  if (claimed_[hello.rank]) return wire::Verdict::kDuplicateRank;
  claimed_[hello.rank] = true;
  return wire::Verdict::kAccepted;
}

void TcpTransport::OnInbound(const wire::Hello& hello, std::optional<wire::Verdict> verdict,
                             absl::StatusOr<asio::ip::tcp::socket> result) {
  if (closed_) return;
  if (result.ok()) {
    Adopt(static_cast<int>(hello.rank), *std::move(result));
  } else if (verdict == wire::Verdict::kAccepted) {
    claimed_[hello.rank] = false;  // our reply never got through; let that rank dial again
  } else if (verdict) {
    last_refusal_ = std::string(result.status().message());
  }
}

void TcpTransport::StartConnect(std::vector<std::vector<asio::ip::tcp::endpoint>> endpoints,
                                std::vector<std::string> addresses, absl::Time deadline) {
  if (closed_) return;  // Shutdown already completed connect_done_ with its cause
  const int rank = options_.rank;
  connect_started_ = true;
  peer_addresses_ = std::move(addresses);
  for (int peer = 0; peer < options_.size; ++peer) {
    if (peer != rank) connections_[peer]->set_peer_address(peer_addresses_[peer]);
  }
  wire::Hello hello;
  hello.rank = static_cast<uint32_t>(rank);
  hello.size = static_cast<uint32_t>(options_.size);
  hello.group_key = options_.group_key;
  for (int peer = 0; peer < rank; ++peer) {
    dialers_[peer] = std::make_shared<OutboundHandshake>(
        io_, hello, peer, peer_addresses_[peer], std::move(endpoints[peer]),
        options_.socket_buffer_bytes, [this, peer](absl::StatusOr<asio::ip::tcp::socket> result) {
          if (closed_) return;
          if (result.ok()) {
            Adopt(peer, *std::move(result));
          } else {
            FinishConnect(result.status());
          }
        });
    dialers_[peer]->Start();
  }
  const absl::Duration budget = std::max(deadline - absl::Now(), absl::ZeroDuration());
  connect_timer_.expires_after(absl::ToChronoNanoseconds(budget));
  connect_timer_.async_wait([this, budget](const boost::system::error_code& error) {
    if (!error) OnConnectDeadline(budget);
  });
  if (connected_ == options_.size - 1) FinishConnect(absl::OkStatus());
}

void TcpTransport::Adopt(int peer, asio::ip::tcp::socket socket) {
  connections_[peer]->Attach(std::move(socket));
  ++connected_;
  if (connect_started_ && connected_ == options_.size - 1) FinishConnect(absl::OkStatus());
}

void TcpTransport::OnConnectDeadline(absl::Duration waited) {
  std::vector<std::string> missing;
  for (int peer = 0; peer < options_.size; ++peer) {
    if (peer == options_.rank || connections_[peer]->attached()) continue;
    if (peer < options_.rank) {
      missing.push_back(absl::StrCat("rank ", peer, " at ", peer_addresses_[peer],
                                     " (dialing it: ", dialers_[peer]->last_error(), ")"));
    } else {
      missing.push_back(
          absl::StrCat("rank ", peer, " at ", peer_addresses_[peer], " (it has not dialed in)"));
    }
  }
  std::string message = absl::StrCat(
      "tcp rank ", options_.rank, ": Connect gave up after ",
      absl::FormatDuration(absl::Trunc(waited, absl::Milliseconds(1))), " with ", missing.size(),
      " of ", options_.size - 1, " peers unconnected: ", absl::StrJoin(missing, "; "));
  if (!last_refusal_.empty()) absl::StrAppend(&message, "; last refused: ", last_refusal_);
  FinishConnect(absl::DeadlineExceededError(message));
}

void TcpTransport::FinishConnect(absl::Status status) {
  if (connect_finished_) return;
  connect_finished_ = true;
  connect_timer_.cancel();
  if (!status.ok()) {
    for (auto& dialer : dialers_) {
      if (dialer) dialer->Cancel();
    }
  }
  connect_done_.Complete(std::move(status));
}

void TcpTransport::Shutdown(const absl::Status& cause) {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_backoff_.cancel();
  for (auto& dialer : dialers_) {
    if (dialer) dialer->Cancel();
  }
  for (auto& weak : inbound_) {
    if (auto handshake = weak.lock()) handshake->Cancel();
  }
  for (auto& connection : connections_) {
    if (connection) connection->Fail(cause, /*keep_received=*/false);
  }
  FinishConnect(cause);
}

}  // namespace ultracc::transport::tcp
