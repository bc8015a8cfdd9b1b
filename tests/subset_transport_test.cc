// Tests of transport/subset: renumbered members reach the right parent ranks with tags unchanged,
// bad member lists and peers are refused, and abort reaches the shared links.
#include "transport/subset/subset_transport.h"

#include <memory>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "transport/inproc/inproc_fabric.h"

namespace ultracc::transport {
namespace {

using ::testing::HasSubstr;

absl::Time Soon() { return absl::Now() + absl::Seconds(10); }

// The fabric owns its members; the subsets only borrow them.
std::shared_ptr<Transport> Borrow(inproc::InProcFabric& fabric, int rank) {
  return std::shared_ptr<Transport>(fabric.member(rank), [](Transport*) {});
}

TEST(SubsetTransportTest, RenumbersMembersAndKeepsTags) {
  inproc::InProcFabric fabric(4);
  // New order: parent 3 is member 0, parent 1 is member 1.
  auto a = SubsetTransport::Create(Borrow(fabric, 3), {3, 1});
  auto b = SubsetTransport::Create(Borrow(fabric, 1), {3, 1});
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ((*a)->Rank(), 0);
  EXPECT_EQ((*b)->Rank(), 1);
  EXPECT_EQ((*a)->Size(), 2);
  EXPECT_EQ((*a)->Name(), "inproc");

  std::vector<int> src = {1, 2, 3}, dst(3, 0), direct(3, 0);
  Request send, recv;
  (*a)->PostSend(1, 42, src.data(), 12, &send);
  (*b)->PostRecv(0, 42, dst.data(), 12, &recv);
  ASSERT_TRUE(recv.Wait(Soon()).ok());
  ASSERT_TRUE(send.Wait(Soon()).ok());
  EXPECT_EQ(dst, src);

  // The same message as the parent sees it: from parent rank 3, tag 42.
  Request send2, recv2;
  (*a)->PostSend(1, 43, src.data(), 12, &send2);
  fabric.member(1)->PostRecv(3, 43, direct.data(), 12, &recv2);
  ASSERT_TRUE(recv2.Wait(Soon()).ok());
  ASSERT_TRUE(send2.Wait(Soon()).ok());
  EXPECT_EQ(direct, src);
}

TEST(SubsetTransportTest, RefusesBadMemberLists) {
  inproc::InProcFabric fabric(3);
  EXPECT_THAT(SubsetTransport::Create(Borrow(fabric, 0), {0, 3}).status().message(),
              HasSubstr("out of range"));
  EXPECT_THAT(SubsetTransport::Create(Borrow(fabric, 0), {0, 1, 0}).status().message(),
              HasSubstr("listed twice"));
  EXPECT_THAT(SubsetTransport::Create(Borrow(fabric, 0), {1, 2}).status().message(),
              HasSubstr("not a member"));
  EXPECT_FALSE(SubsetTransport::Create(nullptr, {0}).ok());
}

TEST(SubsetTransportTest, PeerOutsideTheSubsetFailsTheRequest) {
  inproc::InProcFabric fabric(3);
  auto a = SubsetTransport::Create(Borrow(fabric, 0), {0, 2});
  ASSERT_TRUE(a.ok());
  int x = 0;
  Request send, recv;
  (*a)->PostSend(2, 1, &x, sizeof(x), &send);
  (*a)->PostRecv(-1, 1, &x, sizeof(x), &recv);
  EXPECT_TRUE(absl::IsInvalidArgument(send.Wait(Soon())));
  EXPECT_THAT(send.status().message(), HasSubstr("peer 2"));
  EXPECT_TRUE(absl::IsInvalidArgument(recv.Wait(Soon())));
}

TEST(SubsetTransportTest, AbortReachesTheSharedLinks) {
  inproc::InProcFabric fabric(2);
  auto a = SubsetTransport::Create(Borrow(fabric, 0), {0, 1});
  ASSERT_TRUE(a.ok());
  int x = 0;
  Request recv;
  fabric.member(0)->PostRecv(1, 5, &x, sizeof(x), &recv);  // posted on the parent directly
  (*a)->Abort(absl::CancelledError("split communicator aborted"));
  EXPECT_TRUE(absl::IsCancelled(recv.Wait(Soon())));
}

}  // namespace
}  // namespace ultracc::transport
