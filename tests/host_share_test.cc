// Tests of runtime/daemon/host_share.h: the entries nodes of one host publish round-trip, and a
// malformed one is refused naming its node and what is wrong.
#include "runtime/daemon/host_share.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ultracc::daemon {
namespace {

using ::testing::HasSubstr;

TEST(HostShareTest, EntriesRoundTrip) {
  NodeShare zero;
  zero.pid = 1234;
  zero.board = SharedMemoryRef{7, 4096};
  zero.arenas = {{8, uint64_t{8} << 30}, {9, 1 << 20}};
  EXPECT_EQ(EncodeNodeShare(zero), "1234|7:4096|8:8589934592,9:1048576");
  absl::StatusOr<NodeShare> back = DecodeNodeShare(EncodeNodeShare(zero), 0);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->pid, 1234);
  ASSERT_TRUE(back->board.has_value());
  EXPECT_EQ(back->board->fd, 7);
  EXPECT_EQ(back->board->bytes, 4096u);
  ASSERT_EQ(back->arenas.size(), 2u);
  EXPECT_EQ(back->arenas[0].bytes, uint64_t{8} << 30);
  EXPECT_EQ(back->arenas[1].fd, 9);
  EXPECT_TRUE(back->error.empty());

  NodeShare other;  // no board, no arenas (too many ranks to pass them)
  other.pid = 99;
  back = DecodeNodeShare(EncodeNodeShare(other), 1);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_FALSE(back->board.has_value());
  EXPECT_TRUE(back->arenas.empty());
}

TEST(HostShareTest, AFailedNodeCarriesItsReason) {
  NodeShare failed;
  failed.error = "node 1: rank 3 did not create its communicator within 1500 ms";
  absl::StatusOr<NodeShare> back = DecodeNodeShare(EncodeNodeShare(failed), 1);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->error, failed.error);
  back = DecodeNodeShare("!", 2);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->error, "node 2 failed");
}

TEST(HostShareTest, MalformedEntriesAreRefusedNamingTheNode) {
  for (const char* text : {"", "12", "x|1:2|", "0|1:2|", "12|1|", "12|1:0|", "12||3:4,",
                           "12||3:4,5", "12||-1:4", "12|||"}) {
    absl::StatusOr<NodeShare> share = DecodeNodeShare(text, 3);
    ASSERT_FALSE(share.ok()) << "'" << text << "'";
    EXPECT_TRUE(absl::IsInvalidArgument(share.status()));
    EXPECT_THAT(share.status().message(), HasSubstr("node 3 published '"));
  }
}

}  // namespace
}  // namespace ultracc::daemon
