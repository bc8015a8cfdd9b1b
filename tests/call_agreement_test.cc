// The call agreement (runtime/engine/call_agreement.h) between node engines over the in-process
// fabric: agreeing calls pass; a disagreement fails every member with the same message naming two
// ranks and both calls, also when the disagreeing ranks share a node; a node that refuses a call
// all ranks made alike fails every member; and after a disagreement the next collective works.
#include "runtime/engine/call_agreement.h"

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "transport/inproc/inproc_fabric.h"

namespace ultracc::engine {
namespace {

using submission::OpKind;
using ::testing::HasSubstr;

constexpr absl::Duration kTimeout = absl::Seconds(20);

CallSignature AllReduce(uint64_t count, collectives::RedOp op = collectives::RedOp::kSum) {
  CallSignature s;
  s.kind = static_cast<uint64_t>(OpKind::kAllReduce);
  s.count = count;
  s.dtype = static_cast<uint64_t>(collectives::DataType::kFloat32);
  s.op = static_cast<uint64_t>(op);
  return s;
}

// Runs the agreement on `nodes` node engines of `chips[n].size()` chips each, one thread per node;
// returns each node's status and whether it found the calls differing.
struct Outcome {
  absl::Status status;
  bool calls_differ = false;
};
std::vector<Outcome> Agree(const std::vector<std::vector<CallSignature>>& chips,
                           const std::vector<bool>& poisoned, uint64_t sequence = 5) {
  const int nodes = static_cast<int>(chips.size());
  const int per_node = static_cast<int>(chips[0].size());
  transport::inproc::InProcFabric fabric(nodes);
  std::vector<Outcome> outcomes(nodes);
  std::vector<std::thread> threads;
  for (int n = 0; n < nodes; ++n) {
    threads.emplace_back([&, n] {
      collectives::NodeEngineOptions options;
      options.node_rank = n;
      options.num_nodes = nodes;
      options.total_ranks = nodes * per_node;
      options.transport = fabric.member(n);
      collectives::NodeEngine engine(options);
      Agreement agreement;
      agreement.sequence = sequence;
      agreement.chips = chips[n];
      agreement.poisoned = poisoned[n];
      outcomes[n].status =
          AgreeOnCall(engine, agreement, absl::Now() + kTimeout, &outcomes[n].calls_differ);
    });
  }
  for (auto& t : threads) t.join();
  return outcomes;
}

TEST(CallAgreementTest, AgreeingCallsPass) {
  for (const Outcome& o : Agree({{AllReduce(4)}, {AllReduce(4)}, {AllReduce(4)}}, {0, 0, 0})) {
    EXPECT_TRUE(o.status.ok()) << o.status;
  }
}

TEST(CallAgreementTest, EveryMemberNamesTheSameTwoRanks) {
  auto outcomes =
      Agree({{AllReduce(4)}, {AllReduce(4)}, {AllReduce(4, collectives::RedOp::kMax)}}, {0, 0, 0});
  for (const Outcome& o : outcomes) {
    EXPECT_TRUE(absl::IsFailedPrecondition(o.status)) << o.status;
    EXPECT_TRUE(o.calls_differ);
    EXPECT_EQ(o.status.message(),
              "rank 2 called AllReduce(count=4,float,max) as op #5 while rank 0 called "
              "AllReduce(count=4,float,sum) (the op differs; 1 of 3 ranks differs from rank 0)");
  }
}

TEST(CallAgreementTest, RanksOfOneNodeThatDisagreeAreNamedEverywhere) {
  // Node 1's chips (ranks 2 and 3) disagree; it knows and takes part poisoned.
  auto outcomes =
      Agree({{AllReduce(8), AllReduce(8)}, {AllReduce(8), AllReduce(16)}}, {false, true});
  for (const Outcome& o : outcomes) {
    EXPECT_TRUE(o.calls_differ);
    EXPECT_THAT(o.status.message(),
                HasSubstr("rank 3 called AllReduce(count=16,float,sum) as op #5 while rank 0"));
  }
}

TEST(CallAgreementTest, ANodeThatRefusesALikeCallFailsEveryMember) {
  auto outcomes = Agree({{AllReduce(8)}, {AllReduce(8)}}, {false, true});
  for (const Outcome& o : outcomes) {
    EXPECT_TRUE(absl::IsFailedPrecondition(o.status)) << o.status;
    EXPECT_FALSE(o.calls_differ);
    EXPECT_THAT(o.status.message(), HasSubstr("the node of rank 1 refused AllReduce(count=8"));
  }
}

}  // namespace
}  // namespace ultracc::engine
