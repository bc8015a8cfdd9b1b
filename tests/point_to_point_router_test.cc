// Tests of runtime/daemon/point_to_point_router: local pairs matched by one copy in either posting
// order, remote messages over the node transport, size mismatches and missing partners answered
// with errors naming both sides, and a job failure answering what is pending.
#include "runtime/daemon/point_to_point_router.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "transport/inproc/inproc_fabric.h"

namespace ultracc::daemon {
namespace {

using submission::OpDescriptor;
using submission::OpKind;
using ::testing::HasSubstr;

// Collects the router's answers.
class Answers {
 public:
  PointToPointRouter::Answer Callback() {
    return [this](int local_rank, const OpDescriptor& d, const absl::Status& status) {
      absl::MutexLock lock(&mu_);
      got_.push_back({local_rank, d, status});
    };
  }
  // Waits for `n` answers (10 s at most).
  bool Await(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return got_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10));
  }
  struct Answer {
    int local_rank;
    OpDescriptor d;
    absl::Status status;
  };
  std::vector<Answer> got() {
    absl::MutexLock lock(&mu_);
    return got_;
  }

 private:
  absl::Mutex mu_;
  std::vector<Answer> got_ ABSL_GUARDED_BY(mu_);
};

OpDescriptor Message(OpKind kind, int peer, uint64_t sequence, size_t count) {
  OpDescriptor d{};
  d.kind = kind;
  d.root_or_peer = peer;
  d.sequence = sequence;
  d.count = count;
  return d;
}

PointToPointOptions Node(int node_rank, int nodes, int chips, absl::Duration timeout) {
  PointToPointOptions o;
  o.node_rank = node_rank;
  o.nodes = nodes;
  o.chips_per_node = chips;
  o.timeout = timeout;
  return o;
}

TEST(PointToPointRouterTest, LocalPairIsOneCopyWhicheverSideComesFirst) {
  Answers answers;
  PointToPointRouter router(Node(0, 1, 3, absl::Seconds(10)), answers.Callback());
  std::vector<int> a = {1, 2, 3}, b(3, 0), c = {7, 8, 9}, d(3, 0);
  // Rank 0 -> 2: send first. Rank 2 -> 1: receive first.
  router.Submit(0, Message(OpKind::kSend, 2, 1, 3), reinterpret_cast<char*>(a.data()), 12);
  router.Submit(1, Message(OpKind::kRecv, 2, 1, 3), reinterpret_cast<char*>(d.data()), 12);
  router.Submit(2, Message(OpKind::kRecv, 0, 1, 3), reinterpret_cast<char*>(b.data()), 12);
  router.Submit(2, Message(OpKind::kSend, 1, 1, 3), reinterpret_cast<char*>(c.data()), 12);
  ASSERT_TRUE(answers.Await(4));
  for (const auto& answer : answers.got()) EXPECT_TRUE(answer.status.ok()) << answer.status;
  EXPECT_EQ(b, a);
  EXPECT_EQ(d, c);
}

TEST(PointToPointRouterTest, SizeMismatchFailsBothSides) {
  Answers answers;
  PointToPointRouter router(Node(0, 1, 2, absl::Seconds(10)), answers.Callback());
  std::vector<char> a(8), b(4);
  router.Submit(0, Message(OpKind::kSend, 1, 1, 8), a.data(), 8);
  router.Submit(1, Message(OpKind::kRecv, 0, 1, 4), b.data(), 4);
  ASSERT_TRUE(answers.Await(2));
  for (const auto& answer : answers.got()) {
    EXPECT_TRUE(absl::IsInvalidArgument(answer.status));
    EXPECT_THAT(answer.status.message(), HasSubstr("8 bytes"));
    EXPECT_THAT(answer.status.message(), HasSubstr("4"));
  }
}

TEST(PointToPointRouterTest, MissingPartnerTimesOutNamingIt) {
  Answers answers;
  PointToPointRouter router(Node(0, 1, 2, absl::Milliseconds(300)), answers.Callback());
  std::vector<char> a(8);
  router.Submit(0, Message(OpKind::kSend, 1, 5, 8), a.data(), 8);
  ASSERT_TRUE(answers.Await(1));
  const auto got = answers.got();
  EXPECT_TRUE(absl::IsDeadlineExceeded(got[0].status));
  EXPECT_THAT(got[0].status.message(), HasSubstr("rank 1 did not post its half"));
}

TEST(PointToPointRouterTest, RemoteMessagesCrossTheNodeTransport) {
  transport::inproc::InProcFabric fabric(2);
  Answers answers0, answers1;
  PointToPointRouter node0(Node(0, 2, 2, absl::Seconds(10)), answers0.Callback());
  PointToPointRouter node1(Node(1, 2, 2, absl::Seconds(10)), answers1.Callback());
  std::vector<int> src = {4, 5, 6, 7}, dst(4, 0), back(4, 0);
  // Global rank 1 (node 0, local 1) sends to global rank 2 (node 1, local 0), submitted before
  // the transport exists; rank 3 sends back to rank 0.
  node0.Submit(1, Message(OpKind::kSend, 2, 1, 4), reinterpret_cast<char*>(src.data()), 16);
  node0.SetTransport(fabric.member(0));
  node1.SetTransport(fabric.member(1));
  node1.Submit(0, Message(OpKind::kRecv, 1, 1, 4), reinterpret_cast<char*>(dst.data()), 16);
  node1.Submit(1, Message(OpKind::kSend, 0, 1, 4), reinterpret_cast<char*>(src.data()), 16);
  node0.Submit(0, Message(OpKind::kRecv, 3, 1, 4), reinterpret_cast<char*>(back.data()), 16);
  ASSERT_TRUE(answers0.Await(2));
  ASSERT_TRUE(answers1.Await(2));
  for (const auto& answer : answers0.got()) EXPECT_TRUE(answer.status.ok()) << answer.status;
  for (const auto& answer : answers1.got()) EXPECT_TRUE(answer.status.ok()) << answer.status;
  EXPECT_EQ(dst, src);
  EXPECT_EQ(back, src);
}

TEST(PointToPointRouterTest, FailureAnswersWhatIsPendingAndWhatComesLater) {
  Answers answers;
  PointToPointRouter router(Node(0, 1, 2, absl::Seconds(10)), answers.Callback());
  std::vector<char> a(8);
  router.Submit(0, Message(OpKind::kSend, 1, 1, 8), a.data(), 8);
  router.Fail(absl::UnavailableError("rank 1 disconnected"));
  router.Submit(0, Message(OpKind::kSend, 1, 2, 8), a.data(), 8);
  ASSERT_TRUE(answers.Await(2));
  for (const auto& answer : answers.got()) {
    EXPECT_TRUE(absl::IsUnavailable(answer.status));
    EXPECT_THAT(answer.status.message(), HasSubstr("rank 1 disconnected"));
  }
}

}  // namespace
}  // namespace ultracc::daemon
