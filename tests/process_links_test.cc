// ProcessLinks: ranks that are threads of one process share one in-memory fabric per key; other
// keys, sizes and processes are kept apart with errors that name what differs.
#include "transport/inproc/process_links.h"

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace ultracc::transport::inproc {
namespace {

absl::Time Deadline() { return absl::Now() + absl::Seconds(30); }

TEST(ProcessLinksTest, MembersOfOneKeyExchangeMessages) {
  auto a = ProcessLinks::Join("comm-a", 0, 2);
  auto b = ProcessLinks::Join("comm-a", 1, 2);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  const std::vector<std::string> addresses = {(*a)->address(), (*b)->address()};
  ASSERT_TRUE((*a)->Connect(addresses, Deadline()).ok());
  ASSERT_TRUE((*b)->Connect(addresses, Deadline()).ok());
  EXPECT_EQ((*a)->Name(), "memory");
  std::vector<char> out(1 << 20, 'x'), in(1 << 20, 0);
  Request send, recv;
  std::thread receiver([&] { (*b)->PostRecv(0, 7, in.data(), in.size(), &recv); });
  (*a)->PostSend(1, 7, out.data(), out.size(), &send);
  receiver.join();
  ASSERT_TRUE(send.Wait(Deadline()).ok()) << send.status();
  ASSERT_TRUE(recv.Wait(Deadline()).ok()) << recv.status();
  EXPECT_EQ(std::memcmp(in.data(), out.data(), in.size()), 0);
}

TEST(ProcessLinksTest, KeysAreSeparateAndRanksJoinOnce) {
  auto a = ProcessLinks::Join("comm-b", 0, 2);
  auto other = ProcessLinks::Join("comm-c", 0, 3);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(other.ok()) << "another key is another fabric, of its own size";
  auto twice = ProcessLinks::Join("comm-b", 0, 2);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("twice"), std::string::npos) << twice.status();
  auto resized = ProcessLinks::Join("comm-b", 1, 4);
  ASSERT_FALSE(resized.ok());
  EXPECT_NE(resized.status().message().find("nranks"), std::string::npos) << resized.status();
  auto out_of_range = ProcessLinks::Join("comm-d", 2, 2);
  EXPECT_FALSE(out_of_range.ok());
}

TEST(ProcessLinksTest, AKeyIsReusableOnceEveryMemberLeft) {
  { auto a = ProcessLinks::Join("comm-e", 0, 2); ASSERT_TRUE(a.ok()); }
  auto again = ProcessLinks::Join("comm-e", 0, 3);
  EXPECT_TRUE(again.ok()) << again.status();
}

TEST(ProcessLinksTest, AnotherProcessIsRefusedAtConnect) {
  auto a = ProcessLinks::Join("comm-f", 0, 2);
  ASSERT_TRUE(a.ok());
  absl::Status s = (*a)->Connect({(*a)->address(), "process-0000000000000000"}, Deadline());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("rank 1 runs in another process"), std::string::npos) << s;
}

}  // namespace
}  // namespace ultracc::transport::inproc
