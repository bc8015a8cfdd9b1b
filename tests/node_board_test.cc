// The node's call board: ranks (threads here) posting and meeting for thousands of collectives
// through the two alternating slots, each reading what every other rank posted; the wait's
// timeout naming who is missing; the daemon's failure and an abort waking sleepers; layouts that
// are not a board refused.
#include "runtime/submission/node_board.h"

#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/local_board.h"

namespace ultracc::submission {
namespace {

using ::testing::HasSubstr;

using ::ultracc::testing::LocalBoard;

TEST(NodeBoardTest, RanksReadEveryPostOfEveryRoundThroughTheAlternatingSlots) {
  constexpr int kRanks = 4;
  constexpr uint64_t kRounds = 3000;
  LocalBoard local(kRanks);
  absl::StatusOr<NodeBoard> attached =
      NodeBoard::Attach(local.memory.get(), NodeBoard::Bytes(kRanks));
  ASSERT_TRUE(attached.ok()) << attached.status();
  EXPECT_EQ(attached->ranks(), kRanks);
  std::vector<std::string> errors(kRanks);
  std::vector<std::thread> threads;
  for (int r = 0; r < kRanks; ++r) {
    threads.emplace_back([&, r] {
      NodeBoard board = *attached;
      for (uint64_t s = 1; s <= kRounds; ++s) {
        // Each round's input is different in size and content, so a slot rewritten while another
        // rank still reads it shows up as a wrong value.
        std::vector<uint64_t> input(1 + (s + r) % 64, s * 100 + r);
        board.Post(r, s, {.kind = s % 7, .count = input.size()}, input.data(),
                   input.size() * sizeof(uint64_t));
        absl::Status st = board.AwaitAll(s, absl::Now() + absl::Seconds(30));
        if (!st.ok()) {
          errors[r] = absl::StrCat("round ", s, ": ", st.ToString());
          return;
        }
        for (int p = 0; p < kRanks; ++p) {
          const BoardCall call = board.CallOf(p, s);
          if (call.kind != s % 7 || call.count != 1 + (s + p) % 64) {
            errors[r] = absl::StrCat("round ", s, ": rank ", p, "'s call is wrong");
            return;
          }
          std::vector<uint64_t> got(call.count);
          std::memcpy(got.data(), board.InputOf(p, s), call.count * sizeof(uint64_t));
          for (uint64_t v : got) {
            if (v != s * 100 + p) {
              errors[r] = absl::StrCat("round ", s, ": rank ", p, " posted ", v);
              return;
            }
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int r = 0; r < kRanks; ++r) EXPECT_EQ(errors[r], "") << "rank " << r;
}

TEST(NodeBoardTest, TheWaitEndsAtItsDeadlineAndTheMissingRanksAreNamed) {
  LocalBoard local(4);
  local.board.Post(0, 1, {}, nullptr, 0);
  local.board.Post(2, 1, {}, nullptr, 0);
  const absl::Time start = absl::Now();
  absl::Status s = local.board.AwaitAll(1, start + absl::Milliseconds(100));
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(100));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(local.board.Missing(1), "1, rank 3");
  EXPECT_EQ(local.board.Missing(1, /*finished=*/false, /*node_ranks=*/2),
            "1 (node 0), rank 3 (node 1)");
  local.board.Post(1, 1, {}, nullptr, 0);
  local.board.Post(3, 1, {}, nullptr, 0);
  EXPECT_TRUE(local.board.AwaitAll(1, absl::Now() + absl::Seconds(5)).ok());
  EXPECT_EQ(local.board.Missing(1), "");
}

TEST(NodeBoardTest, TheLastPostOfARankIsItsNewestCallWithItsTime) {
  LocalBoard local(2);
  EXPECT_EQ(local.board.LastPost(0).sequence, 0u);
  const absl::Time before = absl::Now();
  local.board.Post(0, 1, {.kind = 1, .count = 10}, nullptr, 0);
  local.board.Post(0, 2, {.kind = 2, .count = 20}, nullptr, 0);
  submission::BoardPost post = local.board.LastPost(0);
  EXPECT_EQ(post.sequence, 2u);
  EXPECT_EQ(post.call.kind, 2u);
  EXPECT_EQ(post.call.count, 20u);
  EXPECT_GE(post.posted, before - absl::Milliseconds(1));
  EXPECT_LE(post.posted, absl::Now() + absl::Milliseconds(1));
  // Sequence 3 reuses the slot of 1.
  local.board.Post(0, 3, {.kind = 3, .count = 30}, nullptr, 0);
  post = local.board.LastPost(0);
  EXPECT_EQ(post.sequence, 3u);
  EXPECT_EQ(post.call.count, 30u);
  EXPECT_EQ(local.board.LastPost(1).sequence, 0u);
}

TEST(NodeBoardTest, AFailureWakesASleepingRankWithItsCause) {
  LocalBoard local(2);
  local.board.Post(0, 1, {}, nullptr, 0);
  absl::Status seen;
  absl::Time returned;
  std::thread waiter([&] {
    seen = local.board.AwaitAll(1, absl::Now() + absl::Seconds(30));
    returned = absl::Now();
  });
  absl::SleepFor(absl::Milliseconds(100));  // long enough to be asleep
  const absl::Time failed = absl::Now();
  local.board.Fail(absl::UnavailableError("rank 1 (pid 42) disconnected"));
  local.board.Fail(absl::UnavailableError("a later cause"));  // the first one stays
  waiter.join();
  EXPECT_TRUE(absl::IsUnavailable(seen)) << seen;
  EXPECT_EQ(seen.message(), "rank 1 (pid 42) disconnected");
  EXPECT_LT(returned - failed, absl::Seconds(1));
  // And every later wait, whatever was posted.
  local.board.Post(1, 1, {}, nullptr, 0);
  EXPECT_TRUE(local.board.AwaitAll(2, absl::Now() + absl::Seconds(5)).code() ==
              absl::StatusCode::kUnavailable);
}

TEST(NodeBoardTest, ACancellationFlagAndARingWakeASleepingRank) {
  LocalBoard local(2);
  std::atomic<bool> cancelled{false};
  absl::Status seen;
  std::thread waiter(
      [&] { seen = local.board.AwaitAll(1, absl::Now() + absl::Seconds(30), &cancelled); });
  absl::SleepFor(absl::Milliseconds(100));
  const absl::Time rung = absl::Now();
  cancelled.store(true);
  local.board.Ring();
  waiter.join();
  EXPECT_TRUE(absl::IsCancelled(seen)) << seen;
  EXPECT_LT(absl::Now() - rung, absl::Seconds(1));
}

TEST(NodeBoardTest, AttachRefusesWhatIsNotABoard) {
  LocalBoard local(3);
  EXPECT_FALSE(NodeBoard::Attach(local.memory.get(), 16).ok());
  absl::StatusOr<NodeBoard> small = NodeBoard::Attach(local.memory.get(), NodeBoard::Bytes(2));
  ASSERT_FALSE(small.ok());
  EXPECT_THAT(small.status().message(), HasSubstr("cannot hold 3 ranks"));
  std::vector<char> zeros(NodeBoard::Bytes(1) + 64, 0);
  absl::StatusOr<NodeBoard> blank = NodeBoard::Attach(zeros.data(), zeros.size());
  ASSERT_FALSE(blank.ok());
  EXPECT_THAT(blank.status().message(), HasSubstr("another layout"));
}

}  // namespace
}  // namespace ultracc::submission
