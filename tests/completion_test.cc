#include "common/completion.h"

#include <thread>

#include "gtest/gtest.h"

namespace ultracc {
namespace {

TEST(CompletionTest, WaitReturnsStatusOfCompleter) {
  Completion c;
  std::thread t([&] {
    absl::SleepFor(absl::Milliseconds(20));
    c.Complete(absl::DataLossError("peer 3 lost"));
  });
  absl::Status s = c.Wait(absl::Now() + absl::Seconds(10));
  t.join();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s.message(), "peer 3 lost");
}

TEST(CompletionTest, FirstCompleteWins) {
  Completion c;
  c.Complete(absl::OkStatus());
  c.Complete(absl::InternalError("late"));
  EXPECT_TRUE(c.Wait(absl::Now()).ok());
}

TEST(CompletionTest, WaitTimesOut) {
  Completion c;
  absl::Time start = absl::Now();
  absl::Status s = c.Wait(start + absl::Milliseconds(100));
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(90));
}

TEST(CompletionTest, ResetRearms) {
  Completion c;
  c.Complete(absl::OkStatus());
  c.Reset();
  EXPECT_FALSE(c.IsDone());
  c.Complete(absl::CancelledError("again"));
  EXPECT_EQ(c.Wait(absl::Now()).code(), absl::StatusCode::kCancelled);
}

}  // namespace
}  // namespace ultracc
