// Tests of collectives/dissemination_barrier.h: messages match and, following them round by round,
// every rank has heard from every rank by the end.
#include "collectives/dissemination_barrier.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "tests/schedule_simulator.h"

namespace ultracc::collectives {
namespace {

TEST(DisseminationBarrierTest, EveryRankHearsFromEveryRank) {
  for (int size = 1; size <= 20; ++size) {
    std::vector<Schedule> schedules;
    std::vector<testing::SimBuffers> buffers(size);
    for (int r = 0; r < size; ++r) schedules.push_back(DisseminationBarrier(r, size));
    const absl::Status s = testing::Simulate(schedules, buffers);  // message matching
    ASSERT_TRUE(s.ok()) << s;
    std::vector<uint32_t> heard(size);
    for (int r = 0; r < size; ++r) heard[r] = 1u << r;
    for (int round = 0; round < schedules[0].NumRounds(); ++round) {
      const std::vector<uint32_t> before = heard;
      for (int r = 0; r < size; ++r) {
        for (const Step& step : schedules[r].steps) {
          if (step.round == round && step.kind == StepKind::kRecv) heard[r] |= before[step.peer];
        }
      }
    }
    for (int r = 0; r < size; ++r) {
      EXPECT_EQ(heard[r], (1u << size) - 1) << "size " << size << " rank " << r;
    }
  }
}

TEST(DisseminationBarrierTest, TakesCeilLog2Rounds) {
  EXPECT_EQ(DisseminationBarrier(0, 1).NumRounds(), 0);
  EXPECT_EQ(DisseminationBarrier(0, 2).NumRounds(), 1);
  EXPECT_EQ(DisseminationBarrier(3, 5).NumRounds(), 3);
}

}  // namespace
}  // namespace ultracc::collectives
