// Tests of the TCP transport with every member as a thread of this process, over loopback.
//
// Buffers and requests are declared before the group they are posted to, so that on an early
// failure the transports (which complete pending requests when destroyed) die first.
#include "transport/tcp/tcp_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/byte_pattern.h"
#include "transport/tcp/wire_format.h"

namespace ultracc::transport::tcp {
namespace {

using ::ultracc::testing_support::Pattern;

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kKey[] = "job-1/comm-0";

absl::Time Deadline() { return absl::Now() + absl::Seconds(30); }

TcpOptions MemberOptions(int rank, int size, const std::string& key = kKey) {
  TcpOptions options;
  options.rank = rank;
  options.size = size;
  options.group_key = key;
  options.connect_timeout = absl::Seconds(20);
  return options;
}

using Group = std::vector<std::unique_ptr<TcpTransport>>;

std::unique_ptr<TcpTransport> ListenOrDie(const TcpOptions& options) {
  auto transport = TcpTransport::Listen(options);
  EXPECT_TRUE(transport.ok()) << transport.status();
  return transport.ok() ? *std::move(transport) : nullptr;
}

// Connects every member of `group` concurrently (Connect blocks until a member has all peers).
std::vector<absl::Status> ConnectAll(Group& group, absl::Time deadline) {
  std::vector<std::string> addresses;
  for (auto& member : group) addresses.push_back(member->address());
  std::vector<absl::Status> results(group.size());
  std::vector<std::thread> threads;
  for (size_t r = 0; r < group.size(); ++r) {
    threads.emplace_back([&, r] { results[r] = group[r]->Connect(addresses, deadline); });
  }
  for (auto& thread : threads) thread.join();
  return results;
}

// A connected group of `size` members, or an empty one after reporting a failure.
Group ConnectGroup(int size) {
  Group group;
  for (int r = 0; r < size; ++r) {
    group.push_back(ListenOrDie(MemberOptions(r, size)));
    if (!group.back()) return {};
  }
  std::vector<absl::Status> results = ConnectAll(group, Deadline());
  for (int r = 0; r < size; ++r) {
    if (!results[r].ok()) {
      ADD_FAILURE() << "rank " << r << ": " << results[r];
      return {};
    }
  }
  return group;
}

// A blocking client socket that plays a stray; reads give up after 10 s instead of hanging.
class RawClient {
 public:
  explicit RawClient(const std::string& address) {
    const size_t colon = address.rfind(':');
    sockaddr_in peer{};
    peer.sin_family = AF_INET;
    peer.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
    inet_pton(AF_INET, address.substr(0, colon).c_str(), &peer.sin_addr);
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&peer), sizeof(peer)) == 0;
  }
  ~RawClient() { close(fd_); }
  bool connected() const { return connected_; }
  bool Send(const void* data, size_t bytes) {
    return send(fd_, data, bytes, MSG_NOSIGNAL) == static_cast<ssize_t>(bytes);
  }
  // Reads up to `bytes`, stopping early at end of stream, an error or the timeout.
  size_t Read(void* data, size_t bytes) {
    size_t got = 0;
    while (got < bytes) {
      ssize_t n = recv(fd_, static_cast<char*>(data) + got, bytes - got, 0);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    return got;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// Sends a hello as `rank` of a group of `size` with `key` and returns the verdict it gets.
std::optional<wire::Verdict> HelloAs(const std::string& address, uint32_t rank, uint32_t size,
                                     const std::string& key) {
  RawClient stray(address);
  if (!stray.connected()) return std::nullopt;
  wire::Hello hello;
  hello.rank = rank;
  hello.size = size;
  hello.group_key = key;
  std::vector<uint8_t> bytes = wire::EncodeHello(hello);
  if (!stray.Send(bytes.data(), bytes.size())) return std::nullopt;
  wire::AckBytes ack_bytes;
  if (stray.Read(ack_bytes.data(), ack_bytes.size()) != ack_bytes.size()) return std::nullopt;
  std::optional<wire::Ack> ack = wire::DecodeAck(ack_bytes);
  if (!ack) return std::nullopt;
  if (ack->verdict != wire::Verdict::kAccepted) {
    char byte;
    EXPECT_EQ(stray.Read(&byte, 1), 0u) << "a refused stray must be disconnected";
  }
  return ack->verdict;
}

class TcpAllPairsTest : public ::testing::TestWithParam<int> {};

TEST_P(TcpAllPairsTest, EveryPairExchangesMessagesBothWays) {
  const int size = GetParam();
  struct Slot {
    std::vector<uint8_t> out, in;
    Request send, recv;
  };
  // slots[r][p]: what rank r sends to and receives from peer p.
  std::vector<std::unique_ptr<Slot[]>> slots;
  for (int r = 0; r < size; ++r) slots.push_back(std::make_unique<Slot[]>(size));
  Group group = ConnectGroup(size);
  ASSERT_EQ(group.size(), static_cast<size_t>(size));
  std::vector<std::thread> threads;
  for (int r = 0; r < size; ++r) {
    threads.emplace_back([&, r] {
      for (int p = 0; p < size; ++p) {
        if (p == r) continue;
        Slot& slot = slots[r][p];
        slot.out = Pattern(4096 + p, r * 100 + p);
        slot.in.resize(4096 + r);
        group[r]->PostRecv(p, 7, slot.in.data(), slot.in.size(), &slot.recv);
        group[r]->PostSend(p, 7, slot.out.data(), slot.out.size(), &slot.send);
      }
      for (int p = 0; p < size; ++p) {
        if (p == r) continue;
        Slot& slot = slots[r][p];
        absl::Status sent = slot.send.Wait(Deadline());
        absl::Status received = slot.recv.Wait(Deadline());
        EXPECT_TRUE(sent.ok()) << "rank " << r << " to " << p << ": " << sent;
        ASSERT_TRUE(received.ok()) << "rank " << r << " from " << p << ": " << received;
        EXPECT_TRUE(slot.in == Pattern(4096 + r, p * 100 + r)) << "rank " << r << " from " << p;
      }
    });
  }
  for (auto& thread : threads) thread.join();
}

INSTANTIATE_TEST_SUITE_P(Sizes, TcpAllPairsTest, ::testing::Values(2, 4));

TEST(TcpTransportTest, ManyTagsMatchOutOfOrderIncludingUnexpectedMessages) {
  constexpr int kTags = 100;
  std::vector<std::vector<uint8_t>> out(kTags), in(kTags);
  auto sends = std::make_unique<Request[]>(kTags);
  auto recvs = std::make_unique<Request[]>(kTags);
  Group group = ConnectGroup(2);
  ASSERT_EQ(group.size(), 2u);
  auto post_recv = [&](int t) {
    in[t].resize(100 + t);
    group[1]->PostRecv(0, 1000 + t, in[t].data(), in[t].size(), &recvs[t]);
  };
  // Odd tags are received into posted buffers, posted in reverse order of sending.
  for (int t = kTags - 1; t >= 0; --t) {
    if (t % 2 == 1) post_recv(t);
  }
  for (int t = 0; t < kTags; ++t) {
    out[t] = Pattern(100 + t, t);
    group[0]->PostSend(1, 1000 + t, out[t].data(), out[t].size(), &sends[t]);
  }
  // Once the last odd tag is in, every even-tag message before it has arrived unclaimed.
  ASSERT_TRUE(recvs[kTags - 1].Wait(Deadline()).ok());
  for (int t = kTags - 2; t >= 0; t -= 2) post_recv(t);
  for (int t = 0; t < kTags; ++t) {
    EXPECT_TRUE(sends[t].Wait(Deadline()).ok()) << "tag " << t;
    absl::Status status = recvs[t].Wait(Deadline());
    ASSERT_TRUE(status.ok()) << "tag " << t << ": " << status;
    EXPECT_TRUE(in[t] == out[t]) << "tag " << t;
  }
}

TEST(TcpTransportTest, SameTagMessagesMatchInPostingOrder) {
  constexpr int kMessages = 64;
  std::vector<uint64_t> out(kMessages), in(kMessages, ~0ull);
  auto sends = std::make_unique<Request[]>(kMessages);
  auto recvs = std::make_unique<Request[]>(kMessages);
  Group group = ConnectGroup(2);
  ASSERT_EQ(group.size(), 2u);
  // A quarter of the receives wait for their message; the rest find it already there.
  for (int i = 0; i < kMessages / 4; ++i) group[1]->PostRecv(0, 3, &in[i], 8, &recvs[i]);
  for (int i = 0; i < kMessages; ++i) {
    out[i] = i;
    group[0]->PostSend(1, 3, &out[i], 8, &sends[i]);
  }
  for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(sends[i].Wait(Deadline()).ok());
  for (int i = kMessages / 4; i < kMessages; ++i) group[1]->PostRecv(0, 3, &in[i], 8, &recvs[i]);
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(recvs[i].Wait(Deadline()).ok()) << i;
    EXPECT_EQ(in[i], static_cast<uint64_t>(i));
  }
}

TEST(TcpTransportTest, ZeroByteMessagesMatchPostedAndUnexpected) {
  uint64_t marker_out = 0xfeed, marker_in = 0;
  Request posted_send, posted_recv, early_send, late_recv, marker_send, marker_recv;
  Group group = ConnectGroup(2);
  ASSERT_EQ(group.size(), 2u);
  group[1]->PostRecv(0, 5, nullptr, 0, &posted_recv);
  group[0]->PostSend(1, 5, nullptr, 0, &posted_send);
  EXPECT_TRUE(posted_send.Wait(Deadline()).ok());
  EXPECT_TRUE(posted_recv.Wait(Deadline()).ok());

  group[0]->PostSend(1, 6, &marker_out, 0, &early_send);
  group[0]->PostSend(1, 7, &marker_out, 8, &marker_send);
  ASSERT_TRUE(marker_send.Wait(Deadline()).ok());
  group[1]->PostRecv(0, 7, &marker_in, 8, &marker_recv);
  ASSERT_TRUE(marker_recv.Wait(Deadline()).ok());  // so the empty message is already here
  group[1]->PostRecv(0, 6, &marker_in, 0, &late_recv);
  EXPECT_TRUE(early_send.Wait(Deadline()).ok());
  EXPECT_TRUE(late_recv.Wait(Deadline()).ok());
  EXPECT_EQ(marker_in, 0xfeedu);
}

// Index of the first differing byte, or -1; avoids gtest printing hundreds of MiB on failure.
ptrdiff_t FirstDifference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  if (a.size() != b.size()) return 0;
  auto mismatch = std::mismatch(a.begin(), a.end(), b.begin());
  return mismatch.first == a.end() ? -1 : mismatch.first - a.begin();
}

TEST(TcpTransportTest, LargeMessagesArriveIntact) {
  const size_t kDirect = size_t{256} << 20;
  const size_t kUnexpected = size_t{64} << 20;
  std::vector<uint8_t> out = Pattern(kDirect, 256), in(kDirect);
  std::vector<uint8_t> out2 = Pattern(kUnexpected, 64), in2(kUnexpected);
  Request send, recv, send2, recv2;
  Group group = ConnectGroup(2);
  ASSERT_EQ(group.size(), 2u);
  group[1]->PostRecv(0, 1, in.data(), in.size(), &recv);
  group[0]->PostSend(1, 1, out.data(), out.size(), &send);
  ASSERT_TRUE(send.Wait(Deadline()).ok());
  ASSERT_TRUE(recv.Wait(Deadline()).ok());
  EXPECT_EQ(FirstDifference(in, out), -1);

  // Sent before its receive exists: buffered by the receiver, then copied out.
  group[1]->PostSend(0, 2, out2.data(), out2.size(), &send2);
  ASSERT_TRUE(send2.Wait(Deadline()).ok());
  group[0]->PostRecv(1, 2, in2.data(), in2.size(), &recv2);
  ASSERT_TRUE(recv2.Wait(Deadline()).ok());
  EXPECT_EQ(FirstDifference(in2, out2), -1);
}

TEST(TcpTransportTest, SizeMismatchNamesBothSizesAndKeepsTheStreamFramed) {
  std::vector<uint8_t> big = Pattern(200, 1), small(100), tail_out = Pattern(16, 2), tail_in(16);
  std::vector<uint8_t> odd = Pattern(50, 3), odd_in(40);
  Request send, recv, tail_send, tail_recv, odd_send, odd_recv;
  Group group = ConnectGroup(2);
  ASSERT_EQ(group.size(), 2u);
  group[1]->PostRecv(0, 7, small.data(), small.size(), &recv);
  group[0]->PostSend(1, 7, big.data(), big.size(), &send);
  absl::Status status = recv.Wait(Deadline());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("tcp rank 1"), HasSubstr("peer rank 0"), HasSubstr("tag 7"),
                    HasSubstr("expected 100 bytes"), HasSubstr("has 200 bytes")));
  EXPECT_TRUE(send.Wait(Deadline()).ok());

  // An unexpected message of the wrong size fails the receive that takes it.
  group[0]->PostSend(1, 9, odd.data(), odd.size(), &odd_send);
  group[0]->PostSend(1, 8, tail_out.data(), tail_out.size(), &tail_send);
  group[1]->PostRecv(0, 8, tail_in.data(), tail_in.size(), &tail_recv);
  ASSERT_TRUE(tail_recv.Wait(Deadline()).ok());
  EXPECT_TRUE(tail_in == tail_out) << "the message after a mismatch must arrive intact";
  group[1]->PostRecv(0, 9, odd_in.data(), odd_in.size(), &odd_recv);
  status = odd_recv.Wait(Deadline());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("tag 9"), HasSubstr("expected 40"), HasSubstr("has 50 bytes")));
}

TEST(TcpTransportTest, WrongGroupKeyIsRefusedBeforeTheDeadline) {
  Group group;
  group.push_back(ListenOrDie(MemberOptions(0, 2, "job-1/comm-0")));
  group.push_back(ListenOrDie(MemberOptions(1, 2, "job-2/comm-0")));
  ASSERT_TRUE(group[0] && group[1]);
  std::vector<std::string> addresses = {group[0]->address(), group[1]->address()};
  const absl::Time start = absl::Now();
  absl::Status accepting;
  std::thread rank0([&] { accepting = group[0]->Connect(addresses, start + absl::Seconds(3)); });
  absl::Status dialing = group[1]->Connect(addresses, start + absl::Seconds(30));
  const absl::Duration dialing_took = absl::Now() - start;
  rank0.join();
  EXPECT_EQ(dialing.code(), absl::StatusCode::kPermissionDenied) << dialing;
  EXPECT_THAT(dialing.message(),
              AllOf(HasSubstr("peer rank 0 at " + addresses[0]), HasSubstr("group key mismatch")));
  EXPECT_LT(dialing_took, absl::Seconds(2)) << "a refusal must not wait for the deadline";
  // The accepting side cannot tell a stray from a late member; it times out naming both.
  EXPECT_EQ(accepting.code(), absl::StatusCode::kDeadlineExceeded) << accepting;
  EXPECT_THAT(accepting.message(),
              AllOf(HasSubstr("rank 1 at " + addresses[1]), HasSubstr("group key mismatch")));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST(TcpTransportTest, StraysAreRefusedAndTheGroupStillConnects) {
  uint64_t out = 42, in = 0;
  Request send, recv;
  Group group;
  group.push_back(ListenOrDie(MemberOptions(0, 2)));
  group.push_back(ListenOrDie(MemberOptions(1, 2)));
  ASSERT_TRUE(group[0] && group[1]);
  const std::string address = group[0]->address();
  EXPECT_EQ(HelloAs(address, 1, 2, "job-2/comm-0"), wire::Verdict::kWrongGroupKey);
  EXPECT_EQ(HelloAs(address, 1, 3, kKey), wire::Verdict::kWrongSize);
  EXPECT_EQ(HelloAs(address, 0, 2, kKey), wire::Verdict::kRankOutOfRange);
  {
    RawClient garbage(address);
    ASSERT_TRUE(garbage.connected());
    std::string noise(64, 'x');
    garbage.Send(noise.data(), noise.size());
    char byte;
    EXPECT_EQ(garbage.Read(&byte, 1), 0u) << "a stray with a bad magic must be disconnected";
  }
  for (const absl::Status& status : ConnectAll(group, Deadline())) {
    ASSERT_TRUE(status.ok()) << status;
  }
  EXPECT_EQ(HelloAs(address, 1, 2, kKey), wire::Verdict::kDuplicateRank);
  group[0]->PostRecv(1, 1, &in, 8, &recv);
  group[1]->PostSend(0, 1, &out, 8, &send);
  ASSERT_TRUE(recv.Wait(Deadline()).ok());
  EXPECT_EQ(in, 42u);
}

TEST(TcpTransportTest, ConnectNamesTheUnreachablePeer) {
  std::string ghost_address;
  {
    auto ghost = ListenOrDie(MemberOptions(0, 2));
    ASSERT_TRUE(ghost);
    ghost_address = ghost->address();  // nothing listens there once it is gone
  }
  auto member = ListenOrDie(MemberOptions(1, 2));
  ASSERT_TRUE(member);
  const absl::Time start = absl::Now();
  absl::Status status =
      member->Connect({ghost_address, member->address()}, start + absl::Milliseconds(500));
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("tcp rank 1"), HasSubstr("rank 0 at " + ghost_address)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(TcpTransportTest, LostPeerFailsPendingAndLaterRequestsNamingIt) {
  uint64_t a = 0, b = 0, c = 0, d = 1, e = 0;
  Request on_survivor, on_destroyed, later, between_send, between_recv;
  Group group = ConnectGroup(3);
  ASSERT_EQ(group.size(), 3u);
  group[1]->PostRecv(0, 3, &a, 8, &on_survivor);
  group[0]->PostRecv(1, 4, &b, 8, &on_destroyed);
  group[0].reset();
  ASSERT_TRUE(on_destroyed.IsDone()) << "the destructor completes what is pending";
  EXPECT_EQ(on_destroyed.status().code(), absl::StatusCode::kCancelled);

  absl::Status status = on_survivor.Wait(Deadline());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), AllOf(HasSubstr("tcp rank 1"), HasSubstr("peer rank 0")));
  group[1]->PostSend(0, 5, &c, 8, &later);
  status = later.Wait(Deadline());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("peer rank 0"));

  // The survivors still talk to each other.
  group[2]->PostRecv(1, 6, &e, 8, &between_recv);
  group[1]->PostSend(2, 6, &d, 8, &between_send);
  EXPECT_TRUE(between_recv.Wait(Deadline()).ok());
  EXPECT_EQ(e, 1u);
}

TEST(TcpTransportTest, MessageSentBeforeAPeerLeftIsStillDelivered) {
  uint64_t out = 7, in = 0;
  Request send, recv;
  Group group = ConnectGroup(2);
  ASSERT_EQ(group.size(), 2u);
  group[0]->PostSend(1, 1, &out, 8, &send);
  ASSERT_TRUE(send.Wait(Deadline()).ok());
  group[0].reset();
  group[1]->PostRecv(0, 1, &in, 8, &recv);
  EXPECT_TRUE(recv.Wait(Deadline()).ok()) << recv.status();
  EXPECT_EQ(in, 7u);
}

TEST(TcpTransportTest, AbortFailsPendingAndFutureRequestsWithTheCause) {
  uint64_t buffer = 0, other = 0;
  Request pending, later_send, later_recv, peer_side;
  Group group = ConnectGroup(2);
  ASSERT_EQ(group.size(), 2u);
  group[1]->PostRecv(0, 1, &buffer, 8, &pending);
  group[0]->PostRecv(1, 2, &other, 8, &peer_side);
  const absl::Status cause = absl::AbortedError("rank 1 aborted by the test");
  group[1]->Abort(cause);
  EXPECT_EQ(pending.Wait(Deadline()), cause);
  group[1]->PostSend(0, 3, &buffer, 8, &later_send);
  group[1]->PostRecv(0, 4, &buffer, 8, &later_recv);
  EXPECT_EQ(later_send.Wait(Deadline()), cause);
  EXPECT_EQ(later_recv.Wait(Deadline()), cause);
  // The peer sees the connection go away.
  absl::Status status = peer_side.Wait(Deadline());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("peer rank 1"));
}

TEST(TcpTransportTest, ConcurrentPostSendFromManyThreadsKeepsPerThreadOrder) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 200;
  constexpr int kTotal = kThreads * kPerThread;
  // [rank][thread * kPerThread + i]; each message carries (sender thread, index).
  struct Message {
    uint64_t thread, index;
  };
  std::vector<std::vector<Message>> out(2, std::vector<Message>(kTotal));
  std::vector<std::vector<Message>> in(2, std::vector<Message>(kTotal));
  std::vector<std::unique_ptr<Request[]>> sends, recvs;
  for (int r = 0; r < 2; ++r) {
    sends.push_back(std::make_unique<Request[]>(kTotal));
    recvs.push_back(std::make_unique<Request[]>(kTotal));
  }
  Group group = ConnectGroup(2);
  ASSERT_EQ(group.size(), 2u);
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) {
    const int peer = 1 - r;
    threads.emplace_back([&, r, peer] {
      for (int i = 0; i < kPerThread; ++i) {
        for (int t = 0; t < kThreads; ++t) {
          const int k = t * kPerThread + i;
          group[r]->PostRecv(peer, t, &in[r][k], sizeof(Message), &recvs[r][k]);
        }
      }
    });
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, r, peer, t] {
        for (int i = 0; i < kPerThread; ++i) {
          const int k = t * kPerThread + i;
          out[r][k] = {static_cast<uint64_t>(t), static_cast<uint64_t>(i)};
          group[r]->PostSend(peer, t, &out[r][k], sizeof(Message), &sends[r][k]);
        }
      });
    }
  }
  for (auto& thread : threads) thread.join();
  for (int r = 0; r < 2; ++r) {
    for (int k = 0; k < kTotal; ++k) {
      ASSERT_TRUE(sends[r][k].Wait(Deadline()).ok()) << "rank " << r << " send " << k;
      ASSERT_TRUE(recvs[r][k].Wait(Deadline()).ok()) << "rank " << r << " recv " << k;
      EXPECT_EQ(in[r][k].thread, static_cast<uint64_t>(k / kPerThread));
      EXPECT_EQ(in[r][k].index, static_cast<uint64_t>(k % kPerThread));
    }
  }
}

TEST(TcpTransportTest, InvalidPeersAndBadOptionsAreRejected) {
  uint64_t buffer = 0;
  Request to_self, out_of_range;
  EXPECT_EQ(TcpTransport::Listen(MemberOptions(2, 2)).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto member = ListenOrDie(MemberOptions(0, 2));
  ASSERT_TRUE(member);
  EXPECT_EQ(member->Name(), "tcp");
  member->PostSend(0, 1, &buffer, 8, &to_self);
  member->PostRecv(5, 1, &buffer, 8, &out_of_range);
  EXPECT_EQ(to_self.Wait(Deadline()).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out_of_range.Wait(Deadline()).message(), HasSubstr("peer rank 5"));
  EXPECT_EQ(member->Connect({member->address()}, Deadline()).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ultracc::transport::tcp
