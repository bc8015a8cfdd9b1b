// libFuzzer target: the bytes a TCP transport reads from a socket, as a stray or a broken peer
// might send them. The first byte picks the reader:
//   even: an accepted socket's handshake (transport/tcp/tcp_handshake.h) hears the bytes as a Hello
//         and must finish exactly once, with a verdict or an error;
//   odd:  an attached member connection (transport/tcp/tcp_connection.h) with receives posted for
//         tags 0..3 (sizes from the next four bytes) reads the rest as framed messages; once the
//         peer hangs up, every receive must have completed (delivered, size mismatch or loss).
// The bytes travel over a real loopback connection, so asio's reads split them as the kernel does.
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/write.hpp"
#include "transport/tcp/tcp_connection.h"
#include "transport/tcp/tcp_handshake.h"

namespace {

namespace asio = boost::asio;
namespace wire = ultracc::transport::tcp::wire;
using Socket = asio::ip::tcp::socket;
using ultracc::transport::Request;
using ultracc::transport::tcp::InboundHandshake;
using ultracc::transport::tcp::TcpConnection;

struct Pair {
  Socket client;
  Socket server;
};

Pair Connect(asio::io_context& io) {
  asio::ip::tcp::acceptor acceptor(io,
                                   asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  Socket client(io);
  client.connect(acceptor.local_endpoint());
  Socket server = acceptor.accept();
  return {std::move(client), std::move(server)};
}

// Writes `bytes` as the peer and hangs up.
void SendAndHangUp(Socket& client, const uint8_t* data, size_t size) {
  boost::system::error_code ignored;
  asio::write(client, asio::buffer(data, size), ignored);
  client.shutdown(Socket::shutdown_both, ignored);
  client.close(ignored);
}

void FuzzHandshake(const uint8_t* data, size_t size) {
  asio::io_context io;
  Pair pair = Connect(io);
  int finished = 0;
  auto handshake = std::make_shared<InboundHandshake>(
      std::move(pair.server), /*own_rank=*/0, absl::Seconds(5),
      [](const wire::Hello& hello) {
        return hello.rank == 1 && hello.size == 2 && hello.group_key == "job"
                   ? wire::Verdict::kAccepted
                   : wire::Verdict::kWrongGroupKey;
      },
      [&](const wire::Hello&, std::optional<wire::Verdict>, absl::StatusOr<Socket>) {
        ++finished;
      });
  handshake->Start();
  SendAndHangUp(pair.client, data, size);
  io.run();
  if (finished != 1) __builtin_trap();
}

void FuzzConnection(const uint8_t* data, size_t size) {
  if (size < 4) return;
  asio::io_context io;
  Pair pair = Connect(io);
  TcpConnection connection(io, /*rank=*/0, /*peer=*/1);
  connection.Attach(std::move(pair.server));
  std::array<std::vector<char>, 4> buffers;
  std::deque<Request> requests;
  for (uint64_t tag = 0; tag < 4; ++tag) {
    buffers[tag].resize(data[tag]);
    connection.PostRecv(tag, buffers[tag].data(), buffers[tag].size(), &requests.emplace_back());
  }
  SendAndHangUp(pair.client, data + 4, size - 4);
  io.run();
  for (Request& r : requests) {
    if (!r.IsDone()) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if (data[0] % 2 == 0) {
    FuzzHandshake(data + 1, size - 1);
  } else {
    FuzzConnection(data + 1, size - 1);
  }
  return 0;
}

// A message header may claim any size; the transport allocates what an unexpected message needs
// (failing cleanly when it cannot), so huge claims must return null here rather than abort.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
