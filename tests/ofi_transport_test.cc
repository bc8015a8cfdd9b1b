// Tests of the ofi transport over the tcp (through ofi_rxm) and shm providers, with every member
// as a thread of this process.
//
// Buffers and requests are declared before the group, so on an early failure the transports
// (which complete pending requests when destroyed) die first.
#include "transport/ofi/ofi_transport.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/ofi_test_group.h"

namespace ultracc::transport::ofi {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

class OfiTransportTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (std::string why = Unavailable(GetParam()); !why.empty()) GTEST_SKIP() << why;
  }
};

// Sends `bytes` from rank 0 to rank 1, posting the receive first or last.
void ExpectDelivered(Group& group, size_t bytes, bool receive_first, uint64_t tag) {
  std::vector<uint8_t> out = Pattern(bytes, bytes + tag), in(bytes, 0xAB);
  Request send, recv;
  if (receive_first) group[1]->PostRecv(0, tag, in.data(), bytes, &recv);
  group[0]->PostSend(1, tag, out.data(), bytes, &send);
  if (!receive_first) {
    // A marker sent after the message is received first, so the message is already unexpected
    // at the receiver. (A large send may complete only once matched: providers use rendezvous.)
    uint64_t marker_out = tag, marker_in = 0;
    Request marker_send, marker_recv;
    group[0]->PostSend(1, tag + (1ull << 40), &marker_out, 8, &marker_send);
    group[1]->PostRecv(0, tag + (1ull << 40), &marker_in, 8, &marker_recv);
    ASSERT_TRUE(marker_recv.Wait(Deadline()).ok()) << marker_recv.status();
    ASSERT_TRUE(marker_send.Wait(Deadline()).ok()) << marker_send.status();
    group[1]->PostRecv(0, tag, in.data(), bytes, &recv);
  }
  absl::Status sent = send.Wait(Deadline()), received = recv.Wait(Deadline());
  ASSERT_TRUE(sent.ok()) << bytes << " bytes: " << sent;
  ASSERT_TRUE(received.ok()) << bytes << " bytes: " << received;
  EXPECT_EQ(FirstDifference(in, out), -1) << bytes << " bytes, receive first: " << receive_first;
}

TEST_P(OfiTransportTest, MessagesOfEverySizeArriveInEitherPostingOrder) {
  Group group = ConnectGroup(GetParam(), 2);
  ASSERT_EQ(group.size(), 2u);
  uint64_t tag = 1;
  for (size_t bytes : {size_t{0}, size_t{1}, size_t{4095}, (size_t{1} << 20) + 3}) {
    ExpectDelivered(group, bytes, true, tag++);
    ExpectDelivered(group, bytes, false, tag++);
  }
}

TEST_P(OfiTransportTest, SegmentedMessagesReassembleExactlyFromRegisteredArenas) {
  OfiOptions options;
  options.max_segment_bytes = 1 << 20;
  options.always_register = true;
  Group group = ConnectGroup(GetParam(), 2, options);
  ASSERT_EQ(group.size(), 2u);
  EXPECT_EQ(group[0]->segment_bytes(), size_t{1} << 20);
  const size_t kBytes = size_t{64} << 20;
  std::vector<uint8_t> out = Pattern(kBytes, 64), in(kBytes);
  ASSERT_TRUE(group[0]->RegisterRegion(out.data(), out.size()).ok());
  ASSERT_TRUE(group[1]->RegisterRegion(in.data(), in.size()).ok());
  const size_t sender_declared = group[0]->registrations();
  size_t sender_before = 0, receiver_before = 0;
  for (bool receive_first : {true, false}) {
    // The first pass registers the pages it touches (the region is not pinned whole); the
    // second finds them registered.
    if (!receive_first) {
      EXPECT_GT(group[0]->registrations(), sender_declared);
      sender_before = group[0]->registrations();
      receiver_before = group[1]->registrations();
    }
    std::fill(in.begin(), in.end(), 0);
    Request send, recv;
    if (receive_first) group[1]->PostRecv(0, 9, in.data(), kBytes, &recv);
    group[0]->PostSend(1, 9, out.data(), kBytes, &send);
    if (!receive_first) group[1]->PostRecv(0, 9, in.data(), kBytes, &recv);
    ASSERT_TRUE(send.Wait(Deadline()).ok()) << send.status();
    ASSERT_TRUE(recv.Wait(Deadline()).ok()) << recv.status();
    EXPECT_EQ(FirstDifference(in, out), -1) << "receive first: " << receive_first;
  }
  // 64 segments moved on each side without a single new registration.
  EXPECT_EQ(group[0]->registrations(), sender_before);
  EXPECT_EQ(group[1]->registrations(), receiver_before);
}

// Buffers outside every declared region are registered for their operation only: memory the
// caller frees and reuses must not keep a registration of its old pages.
TEST_P(OfiTransportTest, StrayBuffersAreRegisteredPerOperation) {
  OfiOptions options;
  options.always_register = true;
  Group group = ConnectGroup(GetParam(), 2, options);
  ASSERT_EQ(group.size(), 2u);
  // Larger than any provider's inject size, so every send needs its buffer registered.
  constexpr size_t kBytes = 20000;
  alignas(4096) static uint8_t out[kBytes + 16], in[kBytes + 16];
  const size_t before = group[0]->registrations();
  for (int i = 0; i < 10; ++i) {
    Request send, recv;
    group[1]->PostRecv(0, 3, in + i, kBytes, &recv);
    group[0]->PostSend(1, 3, out + i, kBytes, &send);
    ASSERT_TRUE(send.Wait(Deadline()).ok()) << send.status();
    ASSERT_TRUE(recv.Wait(Deadline()).ok()) << recv.status();
  }
  EXPECT_EQ(group[0]->registrations(), before + 10);
}

TEST_P(OfiTransportTest, InterleavedTagsKeepFifoPerTagIncludingSegmentedMessages) {
  OfiOptions options;
  options.max_segment_bytes = 4096;
  Group group = ConnectGroup(GetParam(), 2, options);
  ASSERT_EQ(group.size(), 2u);
  constexpr int kTags = 8, kPerTag = 12;
  auto bytes_of = [](int t, int i) { return static_cast<size_t>((t * 7919 + i * 3571) % 20000); };
  std::vector<std::vector<uint8_t>> out(kTags * kPerTag), in(kTags * kPerTag);
  auto sends = std::make_unique<Request[]>(kTags * kPerTag);
  auto recvs = std::make_unique<Request[]>(kTags * kPerTag);
  // Half the tags have receives waiting, posted in reverse tag order; the rest arrive unexpected.
  auto post_recvs = [&](int t) {
    for (int i = 0; i < kPerTag; ++i) {
      const int k = t * kPerTag + i;
      in[k].assign(bytes_of(t, i), 0);
      group[1]->PostRecv(0, 1000 + t, in[k].data(), in[k].size(), &recvs[k]);
    }
  };
  for (int t = kTags - 1; t >= 0; t -= 2) post_recvs(t);
  for (int i = 0; i < kPerTag; ++i) {
    for (int t = 0; t < kTags; ++t) {
      const int k = t * kPerTag + i;
      out[k] = Pattern(bytes_of(t, i), k);
      group[0]->PostSend(1, 1000 + t, out[k].data(), out[k].size(), &sends[k]);
    }
  }
  for (int t = kTags - 2; t >= 0; t -= 2) post_recvs(t);
  for (int k = 0; k < kTags * kPerTag; ++k) {
    ASSERT_TRUE(sends[k].Wait(Deadline()).ok()) << k << ": " << sends[k].status();
    ASSERT_TRUE(recvs[k].Wait(Deadline()).ok()) << k << ": " << recvs[k].status();
    EXPECT_EQ(FirstDifference(in[k], out[k]), -1) << "tag " << k / kPerTag << " #" << k % kPerTag;
  }
}

TEST_P(OfiTransportTest, FourMembersExchangeManyConcurrentMessages) {
  constexpr int kSize = 4, kMessages = 16;
  struct Slot {
    std::vector<uint8_t> out, in;
    Request send, recv;
  };
  auto size_of = [](int from, int to, int i) { return size_t{1} << ((from + to + i) % 18); };
  std::vector<std::unique_ptr<Slot[]>> slots;  // [rank][peer * kMessages + i]
  for (int r = 0; r < kSize; ++r) slots.push_back(std::make_unique<Slot[]>(kSize * kMessages));
  Group group = ConnectGroup(GetParam(), kSize);
  ASSERT_EQ(group.size(), static_cast<size_t>(kSize));
  std::vector<std::thread> threads;
  for (int r = 0; r < kSize; ++r) {
    threads.emplace_back([&, r] {
      for (int i = 0; i < kMessages; ++i) {
        for (int p = 0; p < kSize; ++p) {
          if (p == r) continue;
          Slot& slot = slots[r][p * kMessages + i];
          slot.out = Pattern(size_of(r, p, i), r * 1000 + p * 100 + i);
          slot.in.resize(size_of(p, r, i));
          group[r]->PostRecv(p, i % 3, slot.in.data(), slot.in.size(), &slot.recv);
          group[r]->PostSend(p, i % 3, slot.out.data(), slot.out.size(), &slot.send);
        }
      }
      for (int p = 0; p < kSize; ++p) {
        for (int i = 0; p != r && i < kMessages; ++i) {
          Slot& slot = slots[r][p * kMessages + i];
          ASSERT_TRUE(slot.send.Wait(Deadline()).ok()) << slot.send.status();
          ASSERT_TRUE(slot.recv.Wait(Deadline()).ok()) << slot.recv.status();
          EXPECT_EQ(FirstDifference(slot.in, Pattern(size_of(p, r, i), p * 1000 + r * 100 + i)), -1)
              << "rank " << r << " from " << p << " #" << i;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
}

// Sends `sent_bytes` from rank 0 to rank 1 into a receive of `expected_bytes`, then a good
// message under the same tag that must arrive intact.
void ExpectMismatchNamedAndTagAligned(Group& group, size_t sent_bytes, size_t expected_bytes,
                                      uint64_t tag, bool receive_first) {
  SCOPED_TRACE(absl::StrCat(sent_bytes, " bytes sent, ", expected_bytes, " expected, receive ",
                            receive_first ? "first" : "last"));
  std::vector<uint8_t> out = Pattern(sent_bytes, tag), in(expected_bytes);
  std::vector<uint8_t> next_out = Pattern(6000, tag + 1), next_in(6000);
  Request send, recv, next_send, next_recv;
  auto post_receives = [&] {
    group[1]->PostRecv(0, tag, in.data(), expected_bytes, &recv);
    group[1]->PostRecv(0, tag, next_in.data(), next_in.size(), &next_recv);
  };
  if (receive_first) post_receives();
  group[0]->PostSend(1, tag, out.data(), sent_bytes, &send);
  group[0]->PostSend(1, tag, next_out.data(), next_out.size(), &next_send);
  if (!receive_first) post_receives();
  absl::Status status = recv.Wait(Deadline());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(
      status.message(),
      AllOf(HasSubstr("ofi rank 1"), HasSubstr("peer rank 0"), HasSubstr(absl::StrCat("tag ", tag)),
            HasSubstr(absl::StrCat("expected ", expected_bytes, " bytes")),
            HasSubstr(absl::StrCat("has ", sent_bytes, " bytes"))));
  EXPECT_TRUE(send.Wait(Deadline()).ok()) << send.status();
  // Every request is waited for: the buffers die with this function.
  const bool next_received = next_recv.Wait(Deadline()).ok();
  EXPECT_TRUE(next_received) << next_recv.status();
  EXPECT_TRUE(next_send.Wait(Deadline()).ok()) << next_send.status();
  if (next_received) {
    EXPECT_EQ(FirstDifference(next_in, next_out), -1);
  }
}

TEST_P(OfiTransportTest, SizeMismatchNamesBothSizesAndKeepsTheTagAligned) {
  OfiOptions options;
  options.max_segment_bytes = 4096;
  Group group = ConnectGroup(GetParam(), 2, options);
  ASSERT_EQ(group.size(), 2u);
  // Larger and smaller than the receive, single- and multi-segment.
  const std::vector<std::pair<size_t, size_t>> cases = {{200, 100},    {50, 100},    {10000, 5000},
                                                        {5000, 10000}, {20000, 100}, {0, 8}};
  uint64_t tag = 40;
  for (bool receive_first : {false, true}) {
    for (auto [sent_bytes, expected_bytes] : cases) {
      ExpectMismatchNamedAndTagAligned(group, sent_bytes, expected_bytes, tag, receive_first);
      tag += 2;
    }
  }
}

TEST_P(OfiTransportTest, SizeMismatchOfMultiMegabyteMessagesKeepsTheTagAligned) {
  // The provider's own message size limit: segments of the transport's largest size.
  Group group = ConnectGroup(GetParam(), 2);
  ASSERT_EQ(group.size(), 2u);
  const size_t kMiB = size_t{1} << 20;
  const std::vector<std::pair<size_t, size_t>> cases = {
      {3 * kMiB + 5, 100}, {100, 3 * kMiB}, {2 * kMiB, kMiB + 1}, {kMiB + 1, 2 * kMiB}};
  uint64_t tag = 80;
  for (bool receive_first : {false, true}) {
    for (auto [sent_bytes, expected_bytes] : cases) {
      ExpectMismatchNamedAndTagAligned(group, sent_bytes, expected_bytes, tag, receive_first);
      tag += 2;
    }
  }
}

TEST_P(OfiTransportTest, AbortFailsPendingAndFutureRequestsAndThePeerNoticesSilence) {
  uint64_t buffer = 0, other = 0;
  Request pending, later_send, later_recv, peer_side;
  Group group = ConnectGroup(GetParam(), 2);
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
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), AllOf(HasSubstr("ofi rank 0"), HasSubstr("peer rank 1")));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST_P(OfiTransportTest, PeerDestroyedMidTransferFailsTheSurvivorInsteadOfHanging) {
  const size_t kBytes = size_t{64} << 20;
  std::vector<uint8_t> out = Pattern(kBytes, 5), in(kBytes);
  uint64_t small = 0;
  Request big_send, big_recv, waiting, on_destroyed;
  Group group = ConnectGroup(GetParam(), 3);
  ASSERT_EQ(group.size(), 3u);
  // Rank 1 waits for a message rank 0 never sends, while a large transfer from 0 is in flight.
  group[1]->PostRecv(0, 1, &small, 8, &waiting);
  group[1]->PostRecv(0, 2, in.data(), kBytes / 2, &big_recv);  // half: rank 0 stalls mid-way
  group[0]->PostSend(1, 2, out.data(), kBytes, &big_send);
  group[0]->PostRecv(2, 7, &small, 8, &on_destroyed);
  const absl::Time start = absl::Now();
  group[0].reset();
  ASSERT_TRUE(on_destroyed.IsDone()) << "the destructor completes what is pending";
  EXPECT_EQ(on_destroyed.status().code(), absl::StatusCode::kCancelled);
  absl::Status status = waiting.Wait(Deadline());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), AllOf(HasSubstr("ofi rank 1"), HasSubstr("peer rank 0")));
  EXPECT_LT(absl::Now() - start, absl::Seconds(15));
  EXPECT_TRUE(big_recv.Wait(Deadline()).code() != absl::StatusCode::kDeadlineExceeded);
  // Later requests naming the lost peer fail at once; the survivors still talk.
  Request later, between_send, between_recv;
  group[1]->PostSend(0, 3, &small, 8, &later);
  EXPECT_EQ(later.Wait(Deadline()).code(), absl::StatusCode::kUnavailable);
  uint64_t d = 11, e = 0;
  group[2]->PostRecv(1, 6, &e, 8, &between_recv);
  group[1]->PostSend(2, 6, &d, 8, &between_send);
  EXPECT_TRUE(between_recv.Wait(Deadline()).ok()) << between_recv.status();
  EXPECT_EQ(e, 11u);
}

INSTANTIATE_TEST_SUITE_P(Providers, OfiTransportTest, ::testing::Values("tcp;ofi_rxm", "shm"),
                         [](const auto& info) {
                           return info.param == "shm" ? std::string("shm") : std::string("tcp");
                         });

TEST(OfiProviderTest, UnknownProviderIsRefusedListingTheProvidersFound) {
  OfiOptions options;
  options.provider = "no-such-provider";
  auto transport = OfiTransport::Open(options);
  ASSERT_FALSE(transport.ok());
  EXPECT_EQ(transport.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(transport.status().message(),
              AllOf(HasSubstr("'no-such-provider'"), HasSubstr("providers offering"),
                    HasSubstr("tcp;ofi_rxm")));
}

TEST(OfiProviderTest, DefaultAndShortNamesPickAnRdmProvider) {
  OfiOptions options;
  auto by_default = OfiTransport::Open(options);
  ASSERT_TRUE(by_default.ok()) << by_default.status();
  EXPECT_THAT((*by_default)->provider(), ::testing::AnyOf("efa", "tcp;ofi_rxm", "sockets"));
  options.provider = "tcp";
  auto tcp = OfiTransport::Open(options);
  ASSERT_TRUE(tcp.ok()) << tcp.status();
  EXPECT_EQ((*tcp)->provider(), "tcp;ofi_rxm");
}

TEST(OfiProviderTest, InvalidPeersAddressesAndRanksAreRejected) {
  uint64_t buffer = 0;
  Request to_self, out_of_range;
  OfiOptions options;
  options.provider = "tcp";
  options.rank = 2;
  options.size = 2;
  EXPECT_EQ(OfiTransport::Open(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.rank = 0;
  auto member = OfiTransport::Open(options);
  ASSERT_TRUE(member.ok()) << member.status();
  EXPECT_EQ((*member)->Name(), "ofi:tcp;ofi_rxm");
  (*member)->PostSend(0, 1, &buffer, 8, &to_self);
  (*member)->PostRecv(5, 1, &buffer, 8, &out_of_range);
  EXPECT_EQ(to_self.Wait(Deadline()).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out_of_range.Wait(Deadline()).message(), HasSubstr("peer rank 5"));
  EXPECT_EQ((*member)->Connect({(*member)->address()}, Deadline()).code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status bad = (*member)->Connect({(*member)->address(), "xyz"}, Deadline());
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("rank 1"));
}

}  // namespace
}  // namespace ultracc::transport::ofi
