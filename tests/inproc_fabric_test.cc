// Tests of transport/inproc: matching by peer and tag, FIFO per tag, eager and rendezvous
// messages, size mismatches, abort as peer loss, and many threads at once.
#include "transport/inproc/inproc_fabric.h"

#include <cstring>
#include <numeric>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ultracc::transport::inproc {
namespace {

using ::testing::HasSubstr;

absl::Time Soon() { return absl::Now() + absl::Seconds(10); }

TEST(InProcFabricTest, MembersKnowTheirRank) {
  InProcFabric fabric(3);
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ(fabric.member(r)->Rank(), r);
    EXPECT_EQ(fabric.member(r)->Size(), 3);
    EXPECT_EQ(fabric.member(r)->Name(), "inproc");
  }
}

TEST(InProcFabricTest, DeliversWhicheverSidePostsFirst) {
  InProcFabric fabric(2);
  for (size_t bytes : {size_t{0}, size_t{100}, InProcFabric::kEagerBytes + 1}) {
    std::vector<char> src(bytes, 'x'), dst(bytes, 0);
    Request send, recv;
    fabric.member(0)->PostSend(1, 7, src.data(), bytes, &send);  // unexpected at first
    fabric.member(1)->PostRecv(0, 7, dst.data(), bytes, &recv);
    ASSERT_TRUE(recv.Wait(Soon()).ok());
    ASSERT_TRUE(send.Wait(Soon()).ok());
    EXPECT_EQ(src, dst);

    std::fill(dst.begin(), dst.end(), 0);
    Request send2, recv2;
    fabric.member(1)->PostRecv(0, 8, dst.data(), bytes, &recv2);  // posted first
    fabric.member(0)->PostSend(1, 8, src.data(), bytes, &send2);
    ASSERT_TRUE(recv2.Wait(Soon()).ok());
    ASSERT_TRUE(send2.Wait(Soon()).ok());
    EXPECT_EQ(src, dst);
  }
}

TEST(InProcFabricTest, EagerSendsCompleteAtOnceRendezvousWaitsForTheReceive) {
  InProcFabric fabric(2);
  std::vector<char> small(16, 's'), large(InProcFabric::kEagerBytes + 1, 'l');
  Request small_send, large_send;
  fabric.member(0)->PostSend(1, 1, small.data(), small.size(), &small_send);
  fabric.member(0)->PostSend(1, 2, large.data(), large.size(), &large_send);
  EXPECT_TRUE(small_send.IsDone());
  EXPECT_FALSE(large_send.IsDone());
  std::vector<char> into(large.size());
  Request recv;
  fabric.member(1)->PostRecv(0, 2, into.data(), into.size(), &recv);
  EXPECT_TRUE(recv.Wait(Soon()).ok());
  EXPECT_TRUE(large_send.Wait(Soon()).ok());
}

TEST(InProcFabricTest, MatchesByTagAndInOrderWithinATag) {
  InProcFabric fabric(2);
  int a1 = 1, a2 = 2, b1 = 3;
  Request s1, s2, s3;
  fabric.member(0)->PostSend(1, 10, &a1, sizeof(int), &s1);
  fabric.member(0)->PostSend(1, 10, &a2, sizeof(int), &s2);
  fabric.member(0)->PostSend(1, 11, &b1, sizeof(int), &s3);
  int got_b = 0, got_a1 = 0, got_a2 = 0;
  Request r1, r2, r3;
  fabric.member(1)->PostRecv(0, 11, &got_b, sizeof(int), &r1);
  fabric.member(1)->PostRecv(0, 10, &got_a1, sizeof(int), &r2);
  fabric.member(1)->PostRecv(0, 10, &got_a2, sizeof(int), &r3);
  for (Request* r : {&r1, &r2, &r3}) ASSERT_TRUE(r->Wait(Soon()).ok());
  EXPECT_EQ(got_b, 3);
  EXPECT_EQ(got_a1, 1);
  EXPECT_EQ(got_a2, 2);
}

TEST(InProcFabricTest, SizeMismatchNamesBothSizes) {
  InProcFabric fabric(2);
  char buffer[32] = {};
  Request send, recv;
  fabric.member(1)->PostRecv(0, 5, buffer, 16, &recv);
  fabric.member(0)->PostSend(1, 5, buffer, 8, &send);
  const absl::Status status = recv.Wait(Soon());
  EXPECT_THAT(status.message(), HasSubstr("has 8 bytes but the receive expects 16"));
  EXPECT_FALSE(send.Wait(Soon()).ok());
}

TEST(InProcFabricTest, InvalidPeerFails) {
  InProcFabric fabric(2);
  char c = 0;
  Request r;
  fabric.member(0)->PostRecv(2, 0, &c, 1, &r);
  EXPECT_EQ(r.Wait(Soon()).code(), absl::StatusCode::kInvalidArgument);
}

TEST(InProcFabricTest, AbortFailsOwnRequestsAndLooksLikePeerLossToOthers) {
  InProcFabric fabric(3);
  char c = 0;
  std::vector<char> large(InProcFabric::kEagerBytes + 1);
  Request own_recv, own_large_send, peer_recv;
  fabric.member(0)->PostRecv(1, 1, &c, 1, &own_recv);
  fabric.member(0)->PostSend(2, 2, large.data(), large.size(), &own_large_send);
  fabric.member(1)->PostRecv(0, 3, &c, 1, &peer_recv);
  fabric.member(0)->Abort(absl::CancelledError("test abort"));
  EXPECT_EQ(own_recv.Wait(Soon()).code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(own_large_send.Wait(Soon()).code(), absl::StatusCode::kCancelled);
  const absl::Status lost = peer_recv.Wait(Soon());
  EXPECT_EQ(lost.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(lost.message(), HasSubstr("peer 0 aborted: test abort"));

  Request later_own, later_send_to, later_recv_from;
  fabric.member(0)->PostSend(1, 4, &c, 1, &later_own);
  EXPECT_EQ(later_own.Wait(Soon()).code(), absl::StatusCode::kCancelled);
  fabric.member(2)->PostSend(0, 4, &c, 1, &later_send_to);
  EXPECT_EQ(later_send_to.Wait(Soon()).code(), absl::StatusCode::kUnavailable);
  fabric.member(2)->PostRecv(0, 4, &c, 1, &later_recv_from);
  EXPECT_EQ(later_recv_from.Wait(Soon()).code(), absl::StatusCode::kUnavailable);
  // Members 1 and 2 still talk to each other.
  Request s, r;
  char out = 'k', in = 0;
  fabric.member(1)->PostSend(2, 9, &out, 1, &s);
  fabric.member(2)->PostRecv(1, 9, &in, 1, &r);
  EXPECT_TRUE(r.Wait(Soon()).ok());
  EXPECT_EQ(in, 'k');
}

TEST(InProcFabricTest, AllToAllFromManyThreads) {
  constexpr int kSize = 6;
  constexpr int kMessages = 200;
  InProcFabric fabric(kSize);
  std::vector<std::thread> threads;
  std::vector<int> failures(kSize, 0);
  for (int rank = 0; rank < kSize; ++rank) {
    threads.emplace_back([&, rank] {
      Transport* t = fabric.member(rank);
      // Message m to peer p carries rank * 1e6 + p * 1e3 + m, in a size that alternates between
      // eager and rendezvous.
      std::vector<std::vector<int>> out(kSize * kMessages), in(kSize * kMessages);
      std::vector<Request> sends(kSize * kMessages), recvs(kSize * kMessages);
      for (int m = 0; m < kMessages; ++m) {
        for (int p = 0; p < kSize; ++p) {
          const size_t n = (m % 7 == 0) ? InProcFabric::kEagerBytes / sizeof(int) + 3 : 5;
          const int i = m * kSize + p;
          out[i].assign(n, rank * 1000000 + p * 1000 + m);
          in[i].assign(n, -1);
          t->PostRecv(p, m % 3, in[i].data(), n * sizeof(int), &recvs[i]);
          t->PostSend(p, m % 3, out[i].data(), n * sizeof(int), &sends[i]);
        }
      }
      for (int m = 0; m < kMessages; ++m) {
        for (int p = 0; p < kSize; ++p) {
          const int i = m * kSize + p;
          if (!recvs[i].Wait(Soon()).ok() || !sends[i].Wait(Soon()).ok() ||
              in[i][0] != p * 1000000 + rank * 1000 + m || in[i].back() != in[i][0]) {
            ++failures[rank];
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(std::accumulate(failures.begin(), failures.end(), 0), 0);
}

}  // namespace
}  // namespace ultracc::transport::inproc
