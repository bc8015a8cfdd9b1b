// Tests of collectives/schedule.h: step constructors, validation messages, printing.
#include "collectives/schedule.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ultracc::collectives {
namespace {

using ::testing::HasSubstr;

Schedule TwoRankSchedule() {
  Schedule s;
  s.rank = 0;
  s.size = 2;
  s.input_elements = 8;
  s.output_elements = 8;
  s.scratch_elements = 4;
  s.steps = {
      Step::Copy(0, {BufferId::kInput, 0}, {BufferId::kOutput, 0}, 8),
      Step::Send(1, 1, {BufferId::kOutput, 0}, 4),
      Step::Recv(1, 1, {BufferId::kScratch, 0}, 4),
      Step::Reduce(2, {BufferId::kScratch, 0}, {BufferId::kOutput, 4}, 4),
      Step::RecvReduce(3, 1, {BufferId::kOutput, 0}, 4),
  };
  return s;
}

TEST(ScheduleTest, ConstructorsFillTheRightFields) {
  const Step send = Step::Send(3, 2, {BufferId::kOutput, 5}, 7);
  EXPECT_EQ(send.kind, StepKind::kSend);
  EXPECT_EQ(send.round, 3);
  EXPECT_EQ(send.peer, 2);
  EXPECT_EQ(send.src.offset, 5u);
  EXPECT_EQ(send.count, 7u);
  EXPECT_TRUE(send.IsTransfer());
  const Step copy = Step::Copy(0, {BufferId::kInput, 1}, {BufferId::kScratch, 2}, 3);
  EXPECT_EQ(copy.peer, -1);
  EXPECT_FALSE(copy.IsTransfer());
  EXPECT_TRUE(copy.ReadsSrc());
  EXPECT_TRUE(copy.WritesDst());
}

TEST(ScheduleTest, ValidScheduleValidatesAndPrints) {
  const Schedule s = TwoRankSchedule();
  EXPECT_TRUE(ValidateSchedule(s).ok()) << ValidateSchedule(s);
  EXPECT_EQ(s.NumRounds(), 4);
  const std::string text = s.DebugString();
  EXPECT_THAT(text, HasSubstr("rank 0 of 2"));
  EXPECT_THAT(text, HasSubstr("round 0: copy input[0, 8) into output[0, 8)"));
  EXPECT_THAT(text, HasSubstr("round 1: send output[0, 4) to 1"));
  EXPECT_THAT(text, HasSubstr("round 3: recv-reduce output[0, 4) from 1"));
}

TEST(ScheduleTest, ValidationNamesTheBadValue) {
  Schedule s = TwoRankSchedule();
  s.steps[1].peer = 0;
  EXPECT_THAT(ValidateSchedule(s).message(), HasSubstr("step 1 (send) has peer 0"));
  s = TwoRankSchedule();
  s.steps[4].peer = 2;
  EXPECT_THAT(ValidateSchedule(s).message(), HasSubstr("peer 2"));
  s = TwoRankSchedule();
  s.steps[2].count = 5;
  EXPECT_THAT(ValidateSchedule(s).message(), HasSubstr("exceeds the scratch extent of 4"));
  s = TwoRankSchedule();
  s.steps[3].round = 0;
  EXPECT_THAT(ValidateSchedule(s).message(), HasSubstr("rounds must ascend"));
  s = TwoRankSchedule();
  s.steps[0].peer = 1;
  EXPECT_THAT(ValidateSchedule(s).message(), HasSubstr("local schedule step 0"));
  s = TwoRankSchedule();
  s.rank = 2;
  EXPECT_EQ(ValidateSchedule(s).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ultracc::collectives
