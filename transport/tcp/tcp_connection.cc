// The per-peer byte pump of the TCP transport; see tcp_connection.h.
#include "transport/tcp/tcp_connection.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/asio/error.hpp"
#include "boost/asio/read.hpp"
#include "boost/asio/write.hpp"

namespace ultracc::transport::tcp {
namespace {

// Bounds one gathered write so that a burst of small sends does not build an unbounded iovec.
constexpr size_t kMaxMessagesPerWrite = 64;
constexpr size_t kDiscardChunkBytes = 1 << 20;
// The first buffer of an unexpected message; it doubles as more of the message arrives.
constexpr uint64_t kUnexpectedChunkBytes = 1 << 20;

std::string DescribeError(const boost::system::error_code& error) {
  if (error == asio::error::eof) return "peer closed the connection (end of file)";
  return error.message();
}

}  // namespace

TcpConnection::TcpConnection(asio::io_context& io, int rank, int peer)
    : rank_(rank), peer_(peer), socket_(io) {}

void TcpConnection::Attach(asio::ip::tcp::socket socket) {
  socket_ = std::move(socket);
  attached_ = true;
  if (peer_address_.empty()) {
    boost::system::error_code ignored;
    auto endpoint = socket_.remote_endpoint(ignored);
    if (!ignored)
      peer_address_ = absl::StrCat(endpoint.address().to_string(), ":", endpoint.port());
  }
  if (!failure_.ok()) {
    // Aborted while the handshake was in flight: nothing may flow any more.
    boost::system::error_code ignored;
    socket_.close(ignored);
    return;
  }
  ReadHeader();
  StartWrite();
}

void TcpConnection::PostSend(uint64_t tag, const void* data, size_t bytes, Request* request) {
  if (!failure_.ok()) {
    request->Complete(failure_);
    return;
  }
  send_queue_.push_back({wire::EncodeHeader({tag, bytes}), data, bytes, request});
  StartWrite();
}

void TcpConnection::PostRecv(uint64_t tag, void* data, size_t bytes, Request* request) {
  if (auto it = unexpected_.find(tag); it != unexpected_.end()) {
    ReceivedMessage message = std::move(it->second.front());
    it->second.pop_front();
    if (it->second.empty()) unexpected_.erase(it);
    CopyOut(std::move(message), tag, {data, bytes, request});
    return;
  }
  if (!failure_.ok()) {
    request->Complete(failure_);
    return;
  }
  posted_[tag].push_back({data, bytes, request});
}

void TcpConnection::Fail(const absl::Status& cause, bool keep_received) {
  if (!keep_received) {
    unexpected_.clear();
    failure_ = cause;  // an abort overrides an earlier peer loss for future requests
  }
  if (failure_.ok()) failure_ = cause;
  boost::system::error_code ignored;
  socket_.close(ignored);
  // Move everything out first: a completion may wake a thread that posts again, and although that
  // post cannot run before we return, the lists must already be consistent.
  std::vector<OutgoingMessage> sending = std::move(sending_);
  std::deque<OutgoingMessage> queued = std::move(send_queue_);
  auto posted = std::move(posted_);
  std::optional<PostedRecv> in_recv = std::move(in_recv_);
  sending_.clear();
  send_queue_.clear();
  posted_.clear();
  in_recv_.reset();
  send_buffers_.clear();
  in_message_ = {};
  discard_buffer_.reset();
  for (OutgoingMessage& m : sending) m.request->Complete(failure_);
  for (OutgoingMessage& m : queued) m.request->Complete(failure_);
  if (in_recv) in_recv->request->Complete(failure_);
  for (auto& [tag, recvs] : posted) {
    for (PostedRecv& r : recvs) r.request->Complete(failure_);
  }
}

void TcpConnection::StartWrite() {
  if (!failure_.ok() || !attached_ || !sending_.empty() || send_queue_.empty()) return;
  while (!send_queue_.empty() && sending_.size() < kMaxMessagesPerWrite) {
    sending_.push_back(send_queue_.front());
    send_queue_.pop_front();
  }
  // Built only after sending_ stops growing: the buffers point into its elements.
  send_buffers_.clear();
  for (const OutgoingMessage& m : sending_) {
    send_buffers_.push_back(asio::buffer(m.header));
    if (m.bytes > 0) send_buffers_.push_back(asio::buffer(m.data, m.bytes));
  }
  asio::async_write(socket_, send_buffers_,
                    [this](const boost::system::error_code& error, size_t) { OnWritten(error); });
}

void TcpConnection::OnWritten(const boost::system::error_code& error) {
  if (!failure_.ok()) return;  // Fail() already completed the batch
  if (error) {
    LoseConnection(error, "sending");
    return;
  }
  std::vector<OutgoingMessage> done = std::move(sending_);
  sending_.clear();
  for (OutgoingMessage& m : done) m.request->Complete(absl::OkStatus());
  StartWrite();
}

void TcpConnection::ReadHeader() {
  asio::async_read(socket_, asio::buffer(header_in_),
                   [this](const boost::system::error_code& error, size_t) {
                     if (!failure_.ok()) return;
                     if (error) {
                       LoseConnection(error, "waiting for a message");
                       return;
                     }
                     OnHeader();
                   });
}

void TcpConnection::OnHeader() {
  in_header_ = wire::DecodeHeader(header_in_);
  const uint64_t tag = in_header_.tag;
  const uint64_t size = in_header_.size;
  if (auto it = posted_.find(tag); it != posted_.end()) {
    PostedRecv recv = it->second.front();
    it->second.pop_front();
    if (it->second.empty()) posted_.erase(it);
    if (recv.bytes != size) {
      recv.request->Complete(SizeMismatch(tag, recv.bytes, size));
      DiscardPayload(size);  // keeps the stream framed for the messages behind this one
      return;
    }
    in_recv_ = recv;  // zero-copy: the payload lands in the user's buffer
    ReadPayloadInto(recv.data, recv.bytes);
    return;
  }
  in_message_.bytes = size;
  in_filled_ = 0;
  in_capacity_ = 0;
  ReadUnexpected();
}

void TcpConnection::ReadUnexpected() {
  const uint64_t size = in_message_.bytes;
  if (in_filled_ == size) {
    OnPayload({});
    return;
  }
  if (in_filled_ == in_capacity_) {
    // The buffer grows with the bytes that arrived, not with what the header claims: a peer must
    // send at least half of what is held for it.
    const uint64_t capacity = std::min<uint64_t>(
        size, std::max<uint64_t>(kUnexpectedChunkBytes, 2 * uint64_t{in_capacity_}));
    std::unique_ptr<char[]> grown(new (std::nothrow) char[capacity]);
    if (!grown) {
      Fail(absl::ResourceExhaustedError(absl::StrCat(
               "tcp rank ", rank_, ": cannot buffer an unexpected ", size,
               "-byte message with tag ", in_header_.tag, " from ", PeerName())),
           /*keep_received=*/true);
      return;
    }
    if (in_filled_ > 0) std::memcpy(grown.get(), in_message_.payload.get(), in_filled_);
    in_message_.payload = std::move(grown);
    in_capacity_ = capacity;
  }
  asio::async_read(socket_,
                   asio::buffer(in_message_.payload.get() + in_filled_, in_capacity_ - in_filled_),
                   [this](const boost::system::error_code& error, size_t) {
                     if (!failure_.ok()) return;
                     if (error) {
                       LoseConnection(error, "receiving a message payload");
                       return;
                     }
                     in_filled_ = in_capacity_;
                     ReadUnexpected();
                   });
}

void TcpConnection::ReadPayloadInto(void* data, size_t bytes) {
  if (bytes == 0) {
    OnPayload({});
    return;
  }
  asio::async_read(socket_, asio::buffer(data, bytes),
                   [this](const boost::system::error_code& error, size_t) {
                     if (!failure_.ok()) return;
                     OnPayload(error);
                   });
}

void TcpConnection::OnPayload(const boost::system::error_code& error) {
  if (error) {
    LoseConnection(error, "receiving a message payload");
    return;
  }
  if (in_recv_) {
    Request* request = in_recv_->request;
    in_recv_.reset();
    request->Complete(absl::OkStatus());
  } else {
    Deliver(in_header_.tag, std::move(in_message_));
    in_message_ = {};
  }
  ReadHeader();
}

void TcpConnection::DiscardPayload(uint64_t bytes) {
  discard_left_ = bytes;
  if (discard_left_ == 0) {
    ReadHeader();
    return;
  }
  if (!discard_buffer_) discard_buffer_.reset(new char[kDiscardChunkBytes]);
  const size_t chunk = std::min<uint64_t>(discard_left_, kDiscardChunkBytes);
  asio::async_read(socket_, asio::buffer(discard_buffer_.get(), chunk),
                   [this, chunk](const boost::system::error_code& error, size_t) {
                     if (!failure_.ok()) return;
                     if (error) {
                       LoseConnection(error, "skipping a mismatched message");
                       return;
                     }
                     DiscardPayload(discard_left_ - chunk);
                   });
}

void TcpConnection::Deliver(uint64_t tag, ReceivedMessage message) {
  if (auto it = posted_.find(tag); it != posted_.end()) {
    PostedRecv recv = it->second.front();
    it->second.pop_front();
    if (it->second.empty()) posted_.erase(it);
    CopyOut(std::move(message), tag, recv);
    return;
  }
  unexpected_[tag].push_back(std::move(message));
}

void TcpConnection::CopyOut(ReceivedMessage message, uint64_t tag, const PostedRecv& recv) {
  if (message.bytes != recv.bytes) {
    recv.request->Complete(SizeMismatch(tag, recv.bytes, message.bytes));
    return;
  }
  if (message.bytes > 0) std::memcpy(recv.data, message.payload.get(), message.bytes);
  recv.request->Complete(absl::OkStatus());
}

void TcpConnection::LoseConnection(const boost::system::error_code& error,
                                   const char* while_doing) {
  Fail(absl::UnavailableError(absl::StrCat("tcp rank ", rank_, ": lost connection to ", PeerName(),
                                           " while ", while_doing, ": ", DescribeError(error))),
       /*keep_received=*/true);
}

absl::Status TcpConnection::SizeMismatch(uint64_t tag, size_t expected, uint64_t received) const {
  return absl::InvalidArgumentError(
      absl::StrCat("tcp rank ", rank_, ": receive from ", PeerName(), " with tag ", tag,
                   " expected ", expected, " bytes but the message has ", received, " bytes"));
}

std::string TcpConnection::PeerName() const {
  if (peer_address_.empty()) return absl::StrCat("peer rank ", peer_);
  return absl::StrCat("peer rank ", peer_, " (", peer_address_, ")");
}

}  // namespace ultracc::transport::tcp
