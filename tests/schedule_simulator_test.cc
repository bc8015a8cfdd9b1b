// Tests of tests/schedule_simulator.h: it must reject the mistakes it exists to catch.
#include "tests/schedule_simulator.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ultracc::collectives::testing {
namespace {

using ::testing::HasSubstr;

std::vector<SimBuffers> Buffers(int size, size_t elements) {
  std::vector<SimBuffers> buffers(size);
  for (int r = 0; r < size; ++r) {
    buffers[r].input.resize(elements);
    buffers[r].output.resize(elements);
    Fill(buffers[r].output, 0, elements, r);
  }
  return buffers;
}

Schedule Of(int rank, int size, std::vector<Step> steps) {
  Schedule schedule;
  schedule.rank = rank;
  schedule.size = size;
  schedule.input_elements = 4;
  schedule.output_elements = 4;
  schedule.steps = std::move(steps);
  return schedule;
}

TEST(ScheduleSimulatorTest, CatchesADoubleContribution) {
  std::vector<SimBuffers> buffers = Buffers(2, 4);
  const std::vector<Schedule> schedules = {
      Of(0, 2,
         {Step::Send(0, 1, {BufferId::kOutput, 0}, 2),
          Step::Recv(1, 1, {BufferId::kOutput, 2}, 2)}),
      Of(1, 2,
         {Step::RecvReduce(0, 0, {BufferId::kOutput, 0}, 2),
          Step::Send(1, 0, {BufferId::kOutput, 0}, 2)}),
  };
  EXPECT_TRUE(Simulate(schedules, buffers).ok());
  buffers = Buffers(2, 4);
  std::vector<Schedule> twice = schedules;
  twice[0].steps.back() = Step::RecvReduce(1, 1, {BufferId::kOutput, 0}, 2);
  EXPECT_THAT(Simulate(twice, buffers).message(), HasSubstr("cannot reduce"));
}

TEST(ScheduleSimulatorTest, CatchesMismatchedCountsAndMissingReceives) {
  std::vector<SimBuffers> buffers = Buffers(2, 4);
  EXPECT_THAT(Simulate({Of(0, 2, {Step::Send(0, 1, {BufferId::kOutput, 0}, 2)}),
                        Of(1, 2, {Step::Recv(0, 0, {BufferId::kOutput, 0}, 3)})},
                       buffers)
                  .message(),
              HasSubstr("which sent 2"));
  EXPECT_THAT(
      Simulate({Of(0, 2, {Step::Send(0, 1, {BufferId::kOutput, 0}, 2)}), Of(1, 2, {})}, buffers)
          .message(),
      HasSubstr("unreceived"));
}

TEST(ScheduleSimulatorTest, CatchesStepsOfOneRoundThatConflict) {
  std::vector<SimBuffers> buffers = Buffers(2, 4);
  EXPECT_THAT(Simulate({Of(0, 2,
                           {Step::Send(0, 1, {BufferId::kOutput, 0}, 2),
                            Step::Recv(0, 1, {BufferId::kOutput, 1}, 2)}),
                        Of(1, 2,
                           {Step::Send(0, 0, {BufferId::kOutput, 2}, 2),
                            Step::Recv(0, 0, {BufferId::kOutput, 0}, 2)})},
                       buffers)
                  .message(),
              HasSubstr("overlapping"));
}

TEST(ScheduleSimulatorTest, CatchesAnElementReducedWithTheWrongElement) {
  std::vector<SimBuffers> buffers = Buffers(2, 4);
  EXPECT_THAT(Simulate({Of(0, 2, {Step::Send(0, 1, {BufferId::kOutput, 0}, 2)}),
                        Of(1, 2, {Step::RecvReduce(0, 0, {BufferId::kOutput, 1}, 2)})},
                       buffers)
                  .message(),
              HasSubstr("cannot reduce"));
}

}  // namespace
}  // namespace ultracc::collectives::testing
