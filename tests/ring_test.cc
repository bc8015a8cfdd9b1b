// Tests of collectives/ring.h: the schedules of all ranks match message for message, and running
// them symbolically leaves every rank with every contribution exactly once.
#include "collectives/ring.h"

#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "collectives/schedule.h"
#include "gtest/gtest.h"

namespace ultracc::collectives {
namespace {

TEST(BalancedChunkTest, CoversTheRangeInOrder) {
  for (int parts = 1; parts <= 9; ++parts) {
    for (size_t count : {0, 1, 2, 5, 8, 9, 10, 17, 1001}) {
      size_t next = 0;
      for (int i = 0; i < parts; ++i) {
        const ElementRange chunk = BalancedChunk(count, parts, i);
        EXPECT_EQ(chunk.offset, next) << count << "/" << parts << " chunk " << i;
        EXPECT_LE(chunk.count, count / parts + 1);
        EXPECT_GE(chunk.count, count / parts);
        next += chunk.count;
      }
      EXPECT_EQ(next, count);
    }
  }
}

struct Message {
  size_t offset;
  size_t count;
  bool operator==(const Message&) const = default;
};

class RingAllReduceTest : public ::testing::TestWithParam<std::tuple<int, size_t>> {};

TEST_P(RingAllReduceTest, EverySendHasTheMatchingReceive) {
  const auto [size, count] = GetParam();
  // (round, from, to) -> messages in step order, as sent and as received.
  std::map<std::tuple<int, int, int>, std::vector<Message>> sent, received;
  for (int rank = 0; rank < size; ++rank) {
    const Schedule schedule = RingAllReduce(rank, size, count);
    ASSERT_TRUE(ValidateSchedule(schedule).ok()) << ValidateSchedule(schedule);
    EXPECT_LE(schedule.NumRounds(), 2 * (size - 1));
    for (const Step& step : schedule.steps) {
      EXPECT_GT(step.count, 0u) << schedule.DebugString();
      EXPECT_EQ(step.kind == StepKind::kSend ? step.src.buffer : step.dst.buffer,
                BufferId::kOutput);
      const Message m{step.kind == StepKind::kSend ? step.src.offset : step.dst.offset, step.count};
      if (step.kind == StepKind::kSend) {
        sent[{step.round, rank, step.peer}].push_back(m);
      } else {
        received[{step.round, step.peer, rank}].push_back(m);
      }
    }
  }
  EXPECT_EQ(sent, received);
}

// Runs all ranks' schedules round by round on sets of contributors (bit r = rank r's input).
TEST_P(RingAllReduceTest, EveryRankEndsWithEveryContributionOnce) {
  const auto [size, count] = GetParam();
  std::vector<Schedule> schedules;
  for (int rank = 0; rank < size; ++rank) schedules.push_back(RingAllReduce(rank, size, count));
  std::vector<std::vector<uint32_t>> data(size, std::vector<uint32_t>(count));
  for (int rank = 0; rank < size; ++rank) {
    for (auto& element : data[rank]) element = 1u << rank;
  }
  int rounds = 0;
  for (const Schedule& s : schedules) rounds = std::max(rounds, s.NumRounds());
  for (int round = 0; round < rounds; ++round) {
    // Messages carry the sender's data as it was when the round started.
    std::map<std::pair<int, int>, std::vector<std::vector<uint32_t>>> in_flight;
    for (int rank = 0; rank < size; ++rank) {
      for (const Step& step : schedules[rank].steps) {
        if (step.round != round || step.kind != StepKind::kSend) continue;
        in_flight[{rank, step.peer}].emplace_back(
            data[rank].begin() + step.src.offset,
            data[rank].begin() + step.src.offset + step.count);
      }
    }
    for (int rank = 0; rank < size; ++rank) {
      for (const Step& step : schedules[rank].steps) {
        if (step.round != round || step.kind == StepKind::kSend) continue;
        auto& queue = in_flight[{step.peer, rank}];
        ASSERT_FALSE(queue.empty()) << "rank " << rank << " round " << round;
        const std::vector<uint32_t> payload = queue.front();
        queue.erase(queue.begin());
        ASSERT_EQ(payload.size(), step.count);
        for (size_t i = 0; i < step.count; ++i) {
          uint32_t& element = data[rank][step.dst.offset + i];
          if (step.kind == StepKind::kRecvReduce) {
            ASSERT_EQ(element & payload[i], 0u) << "contribution counted twice";
            element |= payload[i];
          } else {
            element = payload[i];
          }
        }
      }
    }
    for (const auto& [pair, queue] : in_flight) EXPECT_TRUE(queue.empty()) << "unreceived message";
  }
  const uint32_t everyone = (1u << size) - 1;
  for (int rank = 0; rank < size; ++rank) {
    for (size_t i = 0; i < count; ++i) {
      ASSERT_EQ(data[rank][i], everyone) << "rank " << rank << " element " << i;
    }
  }
}

TEST(RingAllReduceTest, SingleRankAndEmptyCountHaveNoSteps) {
  EXPECT_TRUE(RingAllReduce(0, 1, 100).steps.empty());
  EXPECT_TRUE(RingAllReduce(2, 4, 0).steps.empty());
}

TEST(RingAllReduceTest, EachRankSendsTwiceItsShare) {
  const Schedule schedule = RingAllReduce(1, 4, 1000);
  size_t sent = 0;
  for (const Step& step : schedule.steps) {
    if (step.kind == StepKind::kSend) sent += step.count;
  }
  EXPECT_EQ(sent, 2 * 3 * 1000 / 4);
}

INSTANTIATE_TEST_SUITE_P(SizesAndCounts, RingAllReduceTest,
                         ::testing::Combine(::testing::Range(1, 10),
                                            ::testing::Values(0, 1, 2, 3, 7, 8, 9, 13, 101)));

}  // namespace
}  // namespace ultracc::collectives
