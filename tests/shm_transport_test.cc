// Tests of the shared-memory transport: members as threads of this process (they still map each
// other's segments through /proc), and one member in a child process that exits.
//
// Buffers and requests are declared before the group they are posted to, so that on an early
// failure the transports (which complete pending requests when destroyed) die first.
#include "transport/shm/shm_transport.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/byte_pattern.h"
#include "transport/factory/open_transport.h"

namespace ultracc::transport::shm {
namespace {

using ::ultracc::testing_support::Pattern;

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kKey[] = "job-1/comm-0";

absl::Time Deadline() { return absl::Now() + absl::Seconds(30); }

using Group = std::vector<std::unique_ptr<ShmTransport>>;

std::unique_ptr<ShmTransport> OpenOrDie(int rank, int size, const std::string& key = kKey) {
  auto transport = ShmTransport::Open({.rank = rank, .size = size, .group_key = key});
  EXPECT_TRUE(transport.ok()) << transport.status();
  return transport.ok() ? *std::move(transport) : nullptr;
}

Group ConnectGroup(int size) {
  Group group;
  std::vector<std::string> addresses;
  for (int r = 0; r < size; ++r) {
    group.push_back(OpenOrDie(r, size));
    if (!group.back()) return {};
    addresses.push_back(group.back()->address());
  }
  for (int r = 0; r < size; ++r) {
    if (absl::Status s = group[r]->Connect(addresses, Deadline()); !s.ok()) {
      ADD_FAILURE() << "rank " << r << ": " << s;
      return {};
    }
  }
  return group;
}

// Sizes around the chunk size and beyond the ring's capacity (32 chunks of 64 KiB).
const std::vector<size_t> kSizes = {0, 1, 8, 65535, 65536, 65537, (size_t{5} << 20) + 7};

class ShmAllPairsTest : public ::testing::TestWithParam<int> {};

TEST_P(ShmAllPairsTest, EveryPairExchangesMessagesOfEverySizeBothWays) {
  const int size = GetParam();
  const size_t kinds = kSizes.size();
  struct Slot {
    std::vector<uint8_t> out, in;
    Request send, recv;
  };
  // slots[r][p * kinds + k]: message k between rank r and peer p.
  std::vector<std::unique_ptr<Slot[]>> slots;
  for (int r = 0; r < size; ++r) slots.push_back(std::make_unique<Slot[]>(size * kinds));
  Group group = ConnectGroup(size);
  ASSERT_EQ(group.size(), static_cast<size_t>(size));
  std::vector<std::thread> threads;
  for (int r = 0; r < size; ++r) {
    threads.emplace_back([&, r] {
      for (int p = 0; p < size; ++p) {
        if (p == r) continue;
        for (size_t k = 0; k < kinds; ++k) {
          Slot& slot = slots[r][p * kinds + k];
          slot.out = Pattern(kSizes[k], r * 1000 + p * 10 + k);
          slot.in.resize(kSizes[k]);
          // Every other message is received before it is sent, the rest arrive early.
          if (k % 2 == 0) group[r]->PostRecv(p, k, slot.in.data(), slot.in.size(), &slot.recv);
          group[r]->PostSend(p, k, slot.out.data(), slot.out.size(), &slot.send);
        }
      }
      for (int p = 0; p < size; ++p) {
        if (p == r) continue;
        for (size_t k = 1; k < kinds; k += 2) {
          Slot& slot = slots[r][p * kinds + k];
          group[r]->PostRecv(p, k, slot.in.data(), slot.in.size(), &slot.recv);
        }
      }
      for (int p = 0; p < size; ++p) {
        if (p == r) continue;
        for (size_t k = 0; k < kinds; ++k) {
          Slot& slot = slots[r][p * kinds + k];
          absl::Status sent = slot.send.Wait(Deadline());
          absl::Status received = slot.recv.Wait(Deadline());
          EXPECT_TRUE(sent.ok()) << "rank " << r << " to " << p << ": " << sent;
          ASSERT_TRUE(received.ok()) << "rank " << r << " from " << p << ": " << received;
          EXPECT_TRUE(slot.in == Pattern(kSizes[k], p * 1000 + r * 10 + k))
              << "rank " << r << " from " << p << ", " << kSizes[k] << " bytes";
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
}

INSTANTIATE_TEST_SUITE_P(Sizes, ShmAllPairsTest, ::testing::Values(2, 3, 5));

TEST(ShmTransportTest, ManyTagsMatchOutOfOrderAndSameTagsInPostingOrder) {
  constexpr int kTags = 50;
  constexpr int kPerTag = 3;
  std::vector<std::vector<uint8_t>> out(kTags * kPerTag), in(kTags * kPerTag);
  std::vector<Request> sends(kTags * kPerTag), recvs(kTags * kPerTag);
  Group group = ConnectGroup(2);
  ASSERT_EQ(group.size(), 2u);
  for (int i = 0; i < kTags * kPerTag; ++i) {
    out[i] = Pattern(100 + i, i);
    in[i].resize(100 + i);
  }
  // Sent tag by tag; received in reverse tag order, each tag's messages in order.
  for (int t = 0; t < kTags; ++t) {
    for (int j = 0; j < kPerTag; ++j) {
      const int i = t * kPerTag + j;
      group[0]->PostSend(1, t, out[i].data(), out[i].size(), &sends[i]);
    }
  }
  for (int t = kTags - 1; t >= 0; --t) {
    for (int j = 0; j < kPerTag; ++j) {
      const int i = t * kPerTag + j;
      group[1]->PostRecv(0, t, in[i].data(), in[i].size(), &recvs[i]);
    }
  }
  for (int i = 0; i < kTags * kPerTag; ++i) {
    ASSERT_TRUE(recvs[i].Wait(Deadline()).ok()) << recvs[i].status();
    EXPECT_TRUE(in[i] == out[i]) << "message " << i;
    EXPECT_TRUE(sends[i].Wait(Deadline()).ok());
  }
}

TEST(ShmTransportTest, AReceivePostedWhileALargeMessageArrivesGetsAllOfIt) {
  const size_t bytes = size_t{24} << 20;
  std::vector<uint8_t> out = Pattern(bytes, 3), in(bytes);
  Request send, recv;
  Group group = ConnectGroup(2);
  ASSERT_EQ(group.size(), 2u);
  group[0]->PostSend(1, 9, out.data(), out.size(), &send);
  // Let part of it land in the receiver's early buffer first.
  absl::SleepFor(absl::Milliseconds(5));
  group[1]->PostRecv(0, 9, in.data(), in.size(), &recv);
  ASSERT_TRUE(recv.Wait(Deadline()).ok()) << recv.status();
  EXPECT_TRUE(send.Wait(Deadline()).ok());
  EXPECT_TRUE(in == out);
}

TEST(ShmTransportTest, SizeMismatchNamesBothSizesAndTheNextMessageArrives) {
  std::vector<uint8_t> big = Pattern(200000, 1), small(100), next_out = Pattern(64, 2), next_in(64);
  Request send, recv, send_next, recv_next;
  Group group = ConnectGroup(2);
  ASSERT_EQ(group.size(), 2u);
  group[1]->PostRecv(0, 1, small.data(), small.size(), &recv);
  group[0]->PostSend(0 + 1, 1, big.data(), big.size(), &send);
  absl::Status status = recv.Wait(Deadline());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(status.message(), AllOf(HasSubstr("200000"), HasSubstr("100 bytes")));
  group[0]->PostSend(1, 1, next_out.data(), next_out.size(), &send_next);
  group[1]->PostRecv(0, 1, next_in.data(), next_in.size(), &recv_next);
  ASSERT_TRUE(recv_next.Wait(Deadline()).ok()) << recv_next.status();
  EXPECT_TRUE(next_in == next_out);
}

TEST(ShmTransportTest, ClosedPeerFailsPendingAndLaterRequestsNamingItAfterDeliveringWhatItSent) {
  uint64_t sent = 7, got = 0, a = 0, b = 0;
  Request send, recv, pending, later;
  Group group = ConnectGroup(3);
  ASSERT_EQ(group.size(), 3u);
  group[0]->PostSend(1, 1, &sent, 8, &send);
  ASSERT_TRUE(send.Wait(Deadline()).ok());
  group[2]->PostRecv(0, 2, &a, 8, &pending);
  group[0].reset();
  absl::Status status = pending.Wait(Deadline());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), AllOf(HasSubstr("shm rank 2"), HasSubstr("peer rank 0")));
  group[1]->PostRecv(0, 1, &got, 8, &recv);
  EXPECT_TRUE(recv.Wait(Deadline()).ok()) << recv.status();
  EXPECT_EQ(got, 7u);
  group[1]->PostSend(0, 3, &b, 8, &later);
  status = later.Wait(Deadline());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("peer rank 0"));
  Request never;
  group[1]->PostRecv(0, 4, &b, 8, &never);
  status = never.Wait(Deadline());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("peer rank 0"));
}

TEST(ShmTransportTest, AbortFailsPendingAndFutureRequestsWithTheCauseAndTellsThePeer) {
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
  const absl::Time start = absl::Now();
  absl::Status status = peer_side.Wait(Deadline());
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), AllOf(HasSubstr("peer rank 1"), HasSubstr("aborted by the test")));
}

TEST(ShmTransportTest, APeerProcessThatExitsIsNamedAndWhatItSentIsDelivered) {
  // Fork before this process starts any thread of its own.
  // Addresses go both ways; `go` tells the child that the parent has mapped its segment, which
  // must happen while the child is alive (it is found through /proc/<pid>/fd).
  int to_child[2], to_parent[2], go[2];
  ASSERT_EQ(pipe(to_child), 0);
  ASSERT_EQ(pipe(to_parent), 0);
  ASSERT_EQ(pipe(go), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(to_child[1]);
    close(to_parent[0]);
    close(go[1]);
    auto me = ShmTransport::Open({.rank = 1, .size = 2, .group_key = kKey});
    if (!me.ok()) _exit(2);
    const std::string mine = (*me)->address();
    if (write(to_parent[1], mine.data(), mine.size()) != static_cast<ssize_t>(mine.size())) {
      _exit(3);
    }
    close(to_parent[1]);
    char buffer[256] = {};
    const ssize_t n = read(to_child[0], buffer, sizeof(buffer) - 1);
    if (n <= 0) _exit(4);
    if (!(*me)->Connect({std::string(buffer, n), mine}, Deadline()).ok()) _exit(5);
    char connected = 0;
    if (read(go[0], &connected, 1) != 1) _exit(7);
    uint64_t value = 42;
    Request send;
    (*me)->PostSend(0, 1, &value, 8, &send);
    if (!send.Wait(Deadline()).ok()) _exit(6);
    _exit(0);  // no destructor: the segment is never marked closed
  }
  close(to_child[0]);
  close(to_parent[1]);
  close(go[0]);
  uint64_t got = 0, never = 0;
  Request recv, lost;
  std::unique_ptr<ShmTransport> me = OpenOrDie(0, 2);
  ASSERT_NE(me, nullptr);
  char buffer[256] = {};
  const ssize_t n = read(to_parent[0], buffer, sizeof(buffer) - 1);
  ASSERT_GT(n, 0);
  const std::string mine = me->address();
  ASSERT_EQ(write(to_child[1], mine.data(), mine.size()), static_cast<ssize_t>(mine.size()));
  close(to_child[1]);
  const absl::Status connected = me->Connect({mine, std::string(buffer, n)}, Deadline());
  ASSERT_EQ(write(go[1], "c", 1), 1);  // even after a failure: the child must not wait forever
  close(go[1]);
  ASSERT_TRUE(connected.ok()) << connected;
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << wstatus;
  me->PostRecv(1, 1, &got, 8, &recv);
  EXPECT_TRUE(recv.Wait(Deadline()).ok()) << recv.status();
  EXPECT_EQ(got, 42u);
  me->PostRecv(1, 2, &never, 8, &lost);
  absl::Status status = lost.Wait(absl::Now() + absl::Seconds(5));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), AllOf(HasSubstr("peer rank 1"), HasSubstr("exited")));
  close(to_parent[0]);
}

TEST(ShmTransportTest, ConnectRefusesOtherHostsOtherGroupsAndMalformedAddresses) {
  std::unique_ptr<ShmTransport> a = OpenOrDie(0, 2);
  std::unique_ptr<ShmTransport> b = OpenOrDie(1, 2, "another job");
  std::unique_ptr<ShmTransport> c = OpenOrDie(1, 3);
  ASSERT_TRUE(a && b && c);
  absl::Status status = a->Connect({a->address(), b->address()}, Deadline());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_THAT(status.message(), AllOf(HasSubstr("peer rank 1"), HasSubstr("group key")));
  status = a->Connect({a->address(), c->address()}, Deadline());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_THAT(status.message(), HasSubstr("peer rank 1"));
  status = a->Connect({a->address(), "shm:elsewhere-1-2:1:3"}, Deadline());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_THAT(status.message(), AllOf(HasSubstr("another host"), HasSubstr("elsewhere")));
  status = a->Connect({a->address(), "127.0.0.1:4000"}, Deadline());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(status.message(), AllOf(HasSubstr("peer rank 1"), HasSubstr("127.0.0.1:4000")));
  status = a->Connect({a->address()}, Deadline());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
}

TEST(ShmTransportTest, InvalidPeersAndBuffersAreRejectedNamingThem) {
  uint64_t value = 0;
  Request self, outside, null_buffer;
  Group group = ConnectGroup(2);
  ASSERT_EQ(group.size(), 2u);
  group[0]->PostSend(0, 1, &value, 8, &self);
  group[0]->PostRecv(5, 1, &value, 8, &outside);
  group[0]->PostSend(1, 1, nullptr, 8, &null_buffer);
  EXPECT_THAT(self.Wait(Deadline()).message(), HasSubstr("peer rank 0"));
  EXPECT_THAT(outside.Wait(Deadline()).message(), HasSubstr("peer rank 5"));
  EXPECT_THAT(null_buffer.Wait(Deadline()).message(), HasSubstr("null buffer"));
  EXPECT_EQ(ShmTransport::Open({.rank = 2, .size = 2, .group_key = ""}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// The "auto" kind: shm between members of this host, no network connection needed.
TEST(ShmTransportTest, AutoKindConnectsMembersOfOneHostOverShm) {
  constexpr int kSize = 3;
  std::vector<std::vector<uint8_t>> out(kSize), in(kSize);
  std::vector<Request> sends(kSize), recvs(kSize);
  std::vector<std::unique_ptr<ConnectableTransport>> group;
  std::vector<std::string> addresses;
  for (int r = 0; r < kSize; ++r) {
    TransportSpec spec;
    spec.kind = "auto";
    spec.rank = r;
    spec.size = kSize;
    spec.group_key = kKey;
    auto opened = OpenTransport(spec);
    ASSERT_TRUE(opened.ok()) << opened.status();
    addresses.push_back((*opened)->address());
    group.push_back(*std::move(opened));
  }
  // Posted before Connect: held until the route is known.
  for (int r = 0; r < kSize; ++r) {
    out[r] = Pattern(300000, r);
    in[r].resize(300000);
    group[r]->PostSend((r + 1) % kSize, 5, out[r].data(), out[r].size(), &sends[r]);
    group[r]->PostRecv((r + kSize - 1) % kSize, 5, in[r].data(), in[r].size(), &recvs[r]);
  }
  for (int r = 0; r < kSize; ++r) {
    ASSERT_TRUE(group[r]->Connect(addresses, Deadline()).ok());
    EXPECT_EQ(group[r]->Name(), "shm");
  }
  for (int r = 0; r < kSize; ++r) {
    ASSERT_TRUE(recvs[r].Wait(Deadline()).ok()) << recvs[r].status();
    EXPECT_TRUE(in[r] == out[(r + kSize - 1) % kSize]);
  }
  std::vector<std::string> wrong = addresses;
  wrong[1] = "127.0.0.1:1";
  TransportSpec spec;
  spec.kind = "auto";
  spec.size = kSize;
  auto another = OpenTransport(spec);
  ASSERT_TRUE(another.ok());
  absl::Status status = (*another)->Connect(wrong, Deadline());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(status.message(), HasSubstr("member 1"));
}

}  // namespace
}  // namespace ultracc::transport::shm
