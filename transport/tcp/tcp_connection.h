// One member's link to one peer over TCP: the socket, the queue of outgoing messages, and the
// matching of incoming messages to posted receives (per tag, first in first out).
//
// It exists apart from TcpTransport so that connection setup (handshakes, dialing, the listener)
// and the steady-state byte pump can be read and reasoned about separately.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "transport/tcp/wire_format.h"
#include "transport/transport.h"

namespace ultracc::transport::tcp {

namespace asio = boost::asio;

// Concurrency: every method and every completion handler runs on the transport's single I/O
// thread, so nothing here is locked. TcpTransport hands user calls over with asio::post and owns
// this object until that thread has been joined, which is why handlers may capture `this`.
//
// Requests are completed exactly once and never touched afterwards: their owner may free them (and
// their buffers) as soon as they complete. That is also why Fail() closes the socket before
// completing anything: no read or write may still be using a buffer its owner got back.
class TcpConnection {
 public:
  TcpConnection(asio::io_context& io, int rank, int peer);
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  // Adopts the socket of a completed handshake: starts reading and flushes queued sends.
  void Attach(asio::ip::tcp::socket socket);
  bool attached() const { return attached_; }
  // The peer's advertised address, used in error messages.
  void set_peer_address(std::string address) { peer_address_ = std::move(address); }

  // Queues a message; it goes out once the connection is attached. Sends complete when the whole
  // message has been handed to the kernel.
  void PostSend(uint64_t tag, const void* data, size_t bytes, Request* request);
  // Takes the oldest already-arrived message with `tag`, or waits for the next one.
  void PostRecv(uint64_t tag, void* data, size_t bytes, Request* request);

  // Closes the socket and fails every pending and future request with `cause`. With
  // `keep_received` a later receive may still take a message that arrived whole before the loss (a
  // peer may legitimately send its last message and leave); without it (abort) those are dropped.
  void Fail(const absl::Status& cause, bool keep_received);

 private:
  struct OutgoingMessage {
    wire::MessageHeaderBytes header;
    const void* data;
    size_t bytes;
    Request* request;
  };
  struct PostedRecv {
    void* data;
    size_t bytes;
    Request* request;
  };
  // A message that arrived before its receive was posted; `payload` is null for zero bytes.
  struct ReceivedMessage {
    std::unique_ptr<char[]> payload;
    size_t bytes = 0;
  };

  void StartWrite();
  void OnWritten(const boost::system::error_code& error);
  void ReadHeader();
  void OnHeader();
  void ReadPayloadInto(void* data, size_t bytes);
  // Reads the rest of an unexpected message into in_message_, growing its buffer as bytes arrive.
  void ReadUnexpected();
  void OnPayload(const boost::system::error_code& error);
  void DiscardPayload(uint64_t bytes);
  // Hands a whole unexpected message to the oldest posted receive, or keeps it for a later one.
  void Deliver(uint64_t tag, ReceivedMessage message);
  void CopyOut(ReceivedMessage message, uint64_t tag, const PostedRecv& recv);
  void LoseConnection(const boost::system::error_code& error, const char* while_doing);
  absl::Status SizeMismatch(uint64_t tag, size_t expected, uint64_t received) const;
  std::string PeerName() const;

  const int rank_;
  const int peer_;
  std::string peer_address_;
  asio::ip::tcp::socket socket_;
  bool attached_ = false;
  absl::Status failure_;  // OK while healthy; then what every request fails with

  std::deque<OutgoingMessage> send_queue_;
  std::vector<OutgoingMessage> sending_;  // the batch of the one async_write in flight
  std::vector<asio::const_buffer> send_buffers_;

  absl::flat_hash_map<uint64_t, std::deque<PostedRecv>> posted_;
  absl::flat_hash_map<uint64_t, std::deque<ReceivedMessage>> unexpected_;
  // Invariant: for any tag, posted_ and unexpected_ are never both non-empty.

  // The message being read: its header, and where its payload goes (a posted receive directly, or
  // a heap buffer for an unexpected one, or the discard buffer after a size mismatch).
  wire::MessageHeaderBytes header_in_{};
  wire::MessageHeader in_header_;
  std::optional<PostedRecv> in_recv_;
  ReceivedMessage in_message_;
  size_t in_capacity_ = 0;  // bytes allocated for in_message_'s payload so far
  size_t in_filled_ = 0;    // of which arrived
  uint64_t discard_left_ = 0;
  std::unique_ptr<char[]> discard_buffer_;
};

}  // namespace ultracc::transport::tcp
