// ShapedTransport: sends wait for their level's bandwidth and latency, keep their order, leave
// other levels alone, and fail promptly on abort or destruction.
#include "transport/shaping/shaped_transport.h"

#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "transport/inproc/process_links.h"

namespace ultracc::transport::shaping {
namespace {

using inproc::ProcessLinks;

std::string Key() {
  static std::atomic<int> next{0};
  return "shaped-test-" + std::to_string(next++);
}

// Members 0..size-1 of one fabric; member 0 shaped with `levels` and `level_of_peer`.
struct Group {
  Group(int size, std::vector<LinkShape> levels, std::vector<int> level_of_peer) {
    const std::string key = Key();
    for (int r = 0; r < size; ++r) {
      auto member = ProcessLinks::Join(key, r, size);
      EXPECT_TRUE(member.ok()) << member.status();
      if (r == 0) {
        shaped = std::make_unique<ShapedTransport>(*std::move(member), levels, level_of_peer);
      } else {
        plain.push_back(*std::move(member));
      }
    }
  }
  std::unique_ptr<ShapedTransport> shaped;
  std::vector<std::unique_ptr<ProcessLinks>> plain;  // members 1..size-1
};

TEST(ShapedTransportTest, BandwidthPacesAStreamThatArrivesIntactAndInOrder) {
  constexpr size_t kBytes = 1 << 20;
  constexpr int kMessages = 8;
  Group g(2, {LinkShape{absl::ZeroDuration(), 100e6}}, {0, 0});
  std::vector<std::vector<char>> out(kMessages, std::vector<char>(kBytes));
  std::vector<std::vector<char>> in(kMessages, std::vector<char>(kBytes));
  std::vector<Request> sends(kMessages), recvs(kMessages);
  for (int i = 0; i < kMessages; ++i) {
    std::memset(out[i].data(), 'a' + i, kBytes);
    g.plain[0]->PostRecv(0, 7, in[i].data(), kBytes, &recvs[i]);
  }
  const absl::Time start = absl::Now();
  for (int i = 0; i < kMessages; ++i) g.shaped->PostSend(1, 7, out[i].data(), kBytes, &sends[i]);
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(recvs[i].Wait(absl::Now() + absl::Seconds(10)).ok());
    ASSERT_TRUE(sends[i].Wait(absl::Now() + absl::Seconds(10)).ok());
    EXPECT_EQ(in[i], out[i]) << "message " << i;
  }
  const absl::Duration took = absl::Now() - start;
  EXPECT_GE(took, absl::Seconds(kMessages * kBytes / 100e6) - absl::Milliseconds(1)) << took;
  EXPECT_LT(took, absl::Seconds(5)) << took;
}

TEST(ShapedTransportTest, LatencyDelaysEachMessageAndOnlyItsLevel) {
  // Peer 1 is on an unlimited level, peer 2 behind 200 ms.
  Group g(3, {LinkShape{}, LinkShape{absl::Milliseconds(200), 0}}, {0, 0, 1});
  char fast_out = 'f', slow_out = 's', fast_in = 0, slow_in = 0;
  Request fast_send, slow_send, fast_recv, slow_recv;
  g.plain[0]->PostRecv(0, 1, &fast_in, 1, &fast_recv);
  g.plain[1]->PostRecv(0, 1, &slow_in, 1, &slow_recv);
  const absl::Time start = absl::Now();
  g.shaped->PostSend(2, 1, &slow_out, 1, &slow_send);
  g.shaped->PostSend(1, 1, &fast_out, 1, &fast_send);
  ASSERT_TRUE(fast_recv.Wait(absl::Now() + absl::Seconds(5)).ok());
  const absl::Duration fast = absl::Now() - start;
  ASSERT_TRUE(slow_recv.Wait(absl::Now() + absl::Seconds(5)).ok());
  const absl::Duration slow = absl::Now() - start;
  EXPECT_LT(fast, absl::Milliseconds(100)) << fast;
  EXPECT_GE(slow, absl::Milliseconds(200)) << slow;
  EXPECT_EQ(fast_in, 'f');
  EXPECT_EQ(slow_in, 's');
}

TEST(ShapedTransportTest, ASendToAnIdleLinkLeavesAtItsOwnTime) {
  Group g(2, {LinkShape{absl::Milliseconds(2), 0}}, {0, 0});
  absl::SleepFor(absl::Milliseconds(20));  // the releaser is asleep on an empty queue
  for (int i = 0; i < 5; ++i) {
    char out = 'x', in = 0;
    Request send, recv;
    g.plain[0]->PostRecv(0, 9, &in, 1, &recv);
    const absl::Time start = absl::Now();
    g.shaped->PostSend(1, 9, &out, 1, &send);
    ASSERT_TRUE(recv.Wait(absl::Now() + absl::Seconds(5)).ok());
    const absl::Duration took = absl::Now() - start;
    ASSERT_TRUE(send.Wait(absl::Now() + absl::Seconds(5)).ok());  // it lives until complete
    EXPECT_GE(took, absl::Milliseconds(2));
    EXPECT_LT(took, absl::Milliseconds(30)) << "held past its release: " << took;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

TEST(ShapedTransportTest, ManySmallMessagesOfOneTagKeepTheirOrder) {
  constexpr int kMessages = 500;
  Group g(2, {LinkShape{absl::Microseconds(20), 50e6}}, {0, 0});
  std::vector<int> out(kMessages), in(kMessages, -1);
  std::vector<Request> sends(kMessages), recvs(kMessages);
  for (int i = 0; i < kMessages; ++i) {
    out[i] = i;
    g.plain[0]->PostRecv(0, 3, &in[i], sizeof(int), &recvs[i]);
  }
  for (int i = 0; i < kMessages; ++i) g.shaped->PostSend(1, 3, &out[i], sizeof(int), &sends[i]);
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(recvs[i].Wait(absl::Now() + absl::Seconds(10)).ok());
    EXPECT_EQ(in[i], i);
  }
}

TEST(ShapedTransportTest, AbortFailsHeldSendsAtOnceWithTheCause) {
  Group g(2, {LinkShape{absl::Seconds(30), 0}}, {0, 0});
  char byte = 1;
  Request send;
  g.shaped->PostSend(1, 0, &byte, 1, &send);
  const absl::Time start = absl::Now();
  g.shaped->Abort(absl::UnavailableError("peer 1 lost"));
  absl::Status s = send.Wait(absl::Now() + absl::Seconds(5));
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  Request later;
  g.shaped->PostSend(1, 0, &byte, 1, &later);
  EXPECT_EQ(later.Wait(absl::Now() + absl::Seconds(5)).code(), absl::StatusCode::kUnavailable);
}

TEST(ShapedTransportTest, DestructionFailsHeldSends) {
  char byte = 1;
  Request send;
  {
    Group g(2, {LinkShape{absl::Seconds(30), 0}}, {0, 0});
    g.shaped->PostSend(1, 0, &byte, 1, &send);
  }
  EXPECT_EQ(send.Wait(absl::Now() + absl::Seconds(5)).code(), absl::StatusCode::kCancelled);
}

}  // namespace
}  // namespace ultracc::transport::shaping
