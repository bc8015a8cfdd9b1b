// ultraccCommAbort (runtime/include/ultracc.h) while another thread of the process waits in a
// collective on the same communicator: the abort returns promptly, and so does the waiting call,
// with an error instead of its (long) timeout.
// (The handle is counted: the abort drops the owner's reference and the call in flight frees it.)
#include <chrono>
#include <future>
#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "ultracc.h"

namespace {

TEST(CommAbortTest, AbortWakesAThreadWaitingInACollective) {
  ultraccUniqueId id;
  ASSERT_EQ(ultraccGetUniqueId(&id), ultraccSuccess);
  ultraccConfig_t config = ULTRACC_CONFIG_INITIALIZER;
  config.timeout_ms = 120000;  // far longer than the test may take: only the abort can end it
  ultraccComm_t comms[2] = {nullptr, nullptr};
  std::future<ultraccResult_t> joined = std::async(std::launch::async, [&] {
    return ultraccCommInitRankConfig(&comms[1], 2, id, 1, &config);
  });
  ASSERT_EQ(ultraccCommInitRankConfig(&comms[0], 2, id, 0, &config), ultraccSuccess);
  ASSERT_EQ(joined.get(), ultraccSuccess);

  // Rank 0 all-reduces; rank 1 never does, so rank 0 waits.
  std::future<ultraccResult_t> waiting = std::async(std::launch::async, [&] {
    float x = 1;
    return ultraccAllReduce(&x, &x, 1, ultraccFloat32, ultraccSum, comms[0], nullptr);
  });
  ASSERT_EQ(waiting.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout)
      << "the all-reduce returned without its peer";

  const absl::Time start = absl::Now();
  EXPECT_EQ(ultraccCommAbort(comms[0]), ultraccSuccess);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5)) << "the abort itself took long";
  ASSERT_EQ(waiting.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "the waiting all-reduce did not return after the abort";
  EXPECT_NE(waiting.get(), ultraccSuccess);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_EQ(ultraccCommAbort(comms[1]), ultraccSuccess);
}

}  // namespace
