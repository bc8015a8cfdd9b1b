// NodeEngine argument validation (InvalidArgument naming the argument and value, never a crash),
// the barrier, and a peer that never arrives (the deadline ends the wait with an error).
#include "collectives/node_engine.h"

#include <atomic>
#include <cmath>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/node_engine_harness.h"
#include "transport/inproc/inproc_fabric.h"

namespace ultracc::collectives {
namespace {

using ::testing::HasSubstr;

class NodeEngineValidationTest : public ::testing::Test {
 protected:
  // One node with two local chips.
  NodeEngine engine_{NodeEngineOptions{.node_rank = 0, .num_nodes = 1, .total_ranks = 2}};
  std::vector<float> a_ = std::vector<float>(64), b_ = std::vector<float>(64);
  std::vector<const void*> ins_ = {a_.data(), b_.data()};
  std::vector<void*> outs_ = {a_.data(), b_.data()};
  absl::Time deadline_ = absl::Now() + absl::Seconds(10);
};

void ExpectInvalid(const absl::Status& s, absl::string_view needle) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(needle));
}

TEST_F(NodeEngineValidationTest, NullBufferWithElementsIsNamed) {
  std::vector<const void*> ins = {a_.data(), nullptr};
  ExpectInvalid(engine_.AllReduce(ins, outs_, 4, DataType::kFloat32, RedOp::kSum, 1, deadline_),
                "inputs[1] is null");
  std::vector<void*> outs = {nullptr, b_.data()};
  ExpectInvalid(engine_.AllGather(ins_, outs, 4, DataType::kFloat32, 1, deadline_),
                "outputs[0] is null");
  ExpectInvalid(engine_.ReduceScatter(ins_, outs, 4, DataType::kFloat32, RedOp::kMax, 1, deadline_),
                "outputs[0] is null");
  ExpectInvalid(engine_.AllToAll(ins, outs_, 4, DataType::kFloat32, 1, deadline_),
                "inputs[1] is null");
  // Broadcast reads only the root's input; reduce writes only the root's output.
  EXPECT_TRUE(engine_.Broadcast(ins, outs_, 4, DataType::kFloat32, 0, 1, deadline_).ok());
  ExpectInvalid(engine_.Broadcast(ins, outs_, 4, DataType::kFloat32, 1, 1, deadline_),
                "inputs[1] is null");
  EXPECT_TRUE(engine_.Reduce(ins_, outs, 4, DataType::kFloat32, RedOp::kSum, 1, 1, deadline_).ok());
  ExpectInvalid(engine_.Reduce(ins_, outs, 4, DataType::kFloat32, RedOp::kSum, 0, 1, deadline_),
                "outputs[0] is null");
  // Null buffers are fine when there is nothing to move.
  EXPECT_TRUE(engine_.AllReduce(ins, outs, 0, DataType::kFloat32, RedOp::kSum, 1, deadline_).ok());
}

TEST_F(NodeEngineValidationTest, BadTypesOpsRootsAndSequenceNumbersAreNamed) {
  ExpectInvalid(
      engine_.AllReduce(ins_, outs_, 4, static_cast<DataType>(99), RedOp::kSum, 1, deadline_),
      "dtype 99");
  ExpectInvalid(
      engine_.ReduceScatter(ins_, outs_, 4, DataType::kInt8, static_cast<RedOp>(7), 1, deadline_),
      "op 7");
  ExpectInvalid(engine_.Broadcast(ins_, outs_, 4, DataType::kInt8, 2, 1, deadline_),
                "root 2 is outside [0, 2)");
  ExpectInvalid(engine_.Reduce(ins_, outs_, 4, DataType::kInt8, RedOp::kSum, -1, 1, deadline_),
                "root -1");
  ExpectInvalid(engine_.AllGather(ins_, outs_, 4, DataType::kInt8, uint64_t{1} << 50, deadline_),
                "op_seq");
  ExpectInvalid(
      engine_.AllToAll(ins_, outs_, 4, DataType::kInt8, 1, deadline_, static_cast<Algorithm>(77)),
      "algorithm 77");
}

TEST_F(NodeEngineValidationTest, ChipCountsMustMatchTheWorld) {
  std::vector<void*> one = {a_.data()};
  ExpectInvalid(engine_.AllReduce(ins_, one, 4, DataType::kFloat32, RedOp::kSum, 1, deadline_),
                "inputs has 2 buffers and outputs 1");
  std::vector<const void*> three = {a_.data(), b_.data(), a_.data()};
  std::vector<void*> three_out = {a_.data(), b_.data(), a_.data()};
  ExpectInvalid(engine_.AllGather(three, three_out, 1, DataType::kFloat32, 1, deadline_),
                "total_ranks is 2 but 1 nodes x 3 local chips make 3");
}

TEST_F(NodeEngineValidationTest, AllToAllvCountsAreChecked) {
  std::vector<size_t> counts = {1, 1}, displs = {0, 1}, other = {2, 1};
  std::vector<const size_t*> sc = {counts.data(), counts.data()};
  std::vector<const size_t*> sd = {displs.data(), displs.data()};
  std::vector<const size_t*> rc = {counts.data(), other.data()};
  ExpectInvalid(engine_.AllToAllv(ins_, sc, sd, outs_, rc, sd, DataType::kFloat32, 1, deadline_),
                "send_counts[0][1] = 1 but recv_counts[1][0] = 2");
  std::vector<const size_t*> missing = {counts.data(), nullptr};
  ExpectInvalid(
      engine_.AllToAllv(ins_, sc, missing, outs_, sc, sd, DataType::kFloat32, 1, deadline_),
      "send_displs[1] is null");
  std::vector<const size_t*> short_list = {counts.data()};
  ExpectInvalid(
      engine_.AllToAllv(ins_, sc, sd, outs_, short_list, sd, DataType::kFloat32, 1, deadline_),
      "recv_counts has 1 arrays");
  EXPECT_TRUE(
      engine_.AllToAllv(ins_, sc, sd, outs_, sc, sd, DataType::kFloat32, 1, deadline_).ok());
}

TEST(NodeEngineTest, MissingTransportIsNamed) {
  NodeEngine engine(NodeEngineOptions{.node_rank = 0, .num_nodes = 2, .total_ranks = 2});
  float x = 0;
  std::vector<const void*> ins = {&x};
  std::vector<void*> outs = {&x};
  ExpectInvalid(engine.AllReduce(ins, outs, 1, DataType::kFloat32, RedOp::kSum, 1,
                                 absl::Now() + absl::Seconds(1)),
                "transport is null");
}

TEST(NodeEngineTest, BarrierLetsNoNodeLeaveBeforeAllArrive) {
  testing::Cluster cluster({.nodes = 5, .chips = 1});
  std::vector<absl::Time> entered(5), left(5);
  const auto statuses = cluster.Run([&](int n, NodeEngine& engine, uint64_t seq, absl::Time until) {
    absl::SleepFor(absl::Milliseconds(30 * n));
    entered[n] = absl::Now();
    absl::Status s = engine.Barrier(seq, until);
    left[n] = absl::Now();
    return s;
  });
  for (const absl::Status& s : statuses) ASSERT_TRUE(s.ok()) << s;
  const absl::Time last = *std::max_element(entered.begin(), entered.end());
  for (int n = 0; n < 5; ++n) EXPECT_GE(left[n], last) << "node " << n;
}

TEST(NodeEngineTest, APeerThatNeverArrivesEndsInAnErrorAtTheDeadline) {
  transport::inproc::InProcFabric fabric(2);
  NodeEngine engine(NodeEngineOptions{
      .node_rank = 0, .num_nodes = 2, .total_ranks = 2, .transport = fabric.member(0)});
  std::vector<float> data(100, 1.0f);
  std::vector<const void*> ins = {data.data()};
  std::vector<void*> outs = {data.data()};
  const absl::Time start = absl::Now();
  const absl::Status s = engine.ReduceScatter(ins, outs, 50, DataType::kFloat32, RedOp::kSum, 3,
                                              start + absl::Milliseconds(200));
  EXPECT_FALSE(s.ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_THAT(s.message(), HasSubstr("reduce-scatter op_seq 3"));
  EXPECT_THAT(s.message(), HasSubstr("peer 1"));
  fabric.member(0)->Abort(absl::CancelledError("test over"));
}

TEST(SumErrorBoundTest, CountsRoundingsPerStep) {
  // half, 4 nodes x 2 chips, sum: 1 local + 3 inter-node roundings.
  const double u = std::ldexp(1.0, -11) + 2 * std::ldexp(1.0, -24);
  EXPECT_NEAR(SumErrorBound(DataType::kFloat16, RedOp::kSum, 4, 2, 100.0),
              (std::pow(1 + u, 4) - 1) * 100.0 + 4 * std::ldexp(1.0, -25), 1e-12);
  EXPECT_EQ(SumErrorBound(DataType::kInt32, RedOp::kSum, 4, 2, 100.0), 0.0);
  EXPECT_LT(SumErrorBound(DataType::kFloat16, RedOp::kAvg, 4, 2, 100.0),
            SumErrorBound(DataType::kFloat16, RedOp::kSum, 4, 2, 100.0));
}

}  // namespace
}  // namespace ultracc::collectives
