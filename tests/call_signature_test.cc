// Call signatures and the mismatch message (runtime/engine/call_signature.h): which fields count
// for which collective, how a call reads, and the message naming two ranks, the op number, both
// calls and the fields that differ.
#include "runtime/engine/call_signature.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ultracc::engine {
namespace {

using submission::OpKind;
using ::testing::HasSubstr;

CollectiveCall Call(OpKind kind, size_t count, collectives::RedOp op = collectives::RedOp::kSum,
                    int root = -1) {
  CollectiveCall call;
  call.kind = kind;
  call.count = count;
  call.op = op;
  call.root = root;
  return call;
}

TEST(CallSignatureTest, DescribesEachKindWithTheFieldsItUses) {
  EXPECT_EQ(DescribeSignature(SignatureOf(Call(OpKind::kAllReduce, 1024))),
            "AllReduce(count=1024,float,sum)");
  EXPECT_EQ(
      DescribeSignature(SignatureOf(Call(OpKind::kBroadcast, 7, collectives::RedOp::kMax, 2))),
      "Broadcast(count=7,float,root=2)");
  EXPECT_EQ(DescribeSignature(SignatureOf(Call(OpKind::kAllToAllv, 99))), "AllToAllv(float)");
  EXPECT_EQ(DescribeSignature(SignatureOf(Call(OpKind::kBarrier, 5))), "Barrier()");
}

TEST(CallSignatureTest, IgnoresFieldsTheKindDoesNotUse) {
  // An all-gather has no op and no root; all-to-allv's per-peer counts legitimately differ.
  EXPECT_EQ(SignatureOf(Call(OpKind::kAllGather, 3, collectives::RedOp::kSum, 0)),
            SignatureOf(Call(OpKind::kAllGather, 3, collectives::RedOp::kMax, 1)));
  EXPECT_EQ(SignatureOf(Call(OpKind::kAllToAllv, 1)), SignatureOf(Call(OpKind::kAllToAllv, 2)));
  EXPECT_NE(SignatureOf(Call(OpKind::kReduce, 3, collectives::RedOp::kSum, 0)),
            SignatureOf(Call(OpKind::kReduce, 3, collectives::RedOp::kSum, 1)));
}

TEST(CallSignatureTest, DescribesFieldsNoValidCallHas) {
  submission::OpDescriptor d{};
  d.kind = OpKind::kAllReduce;
  d.count = 4;
  d.dtype = 99;
  d.op = -1;
  EXPECT_EQ(DescribeSignature(SignatureOf(d)), "AllReduce(count=4,datatype 99,op 4294967295)");
  d.kind = static_cast<OpKind>(77);
  EXPECT_THAT(DescribeSignature(SignatureOf(d)), HasSubstr("operation 77("));
}

TEST(CallSignatureTest, AgreeingCallsPass) {
  const CallSignature s = SignatureOf(Call(OpKind::kAllReduce, 8));
  EXPECT_TRUE(CompareSignatures(std::vector<CallSignature>(4, s), 0, 3).ok());
}

TEST(CallSignatureTest, NamesTheFirstRankThatDiffersBothCallsAndTheOpNumber) {
  std::vector<CallSignature> calls(4, SignatureOf(Call(OpKind::kAllReduce, 2048)));
  calls[2] = SignatureOf(Call(OpKind::kAllReduce, 1024));
  calls[3] = SignatureOf(Call(OpKind::kAllReduce, 1024, collectives::RedOp::kMax));
  absl::Status s = CompareSignatures(calls, 4, 17);
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_EQ(s.message(),
            "rank 6 called AllReduce(count=1024,float,sum) as op #17 while rank 4 called "
            "AllReduce(count=2048,float,sum) (the count differs; 2 of 4 ranks differ from rank 4)");
}

TEST(CallSignatureTest, NamesEveryFieldThatDiffers) {
  std::vector<CallSignature> calls = {
      SignatureOf(Call(OpKind::kAllReduce, 8)),
      SignatureOf(Call(OpKind::kReduce, 8, collectives::RedOp::kSum, 1))};
  absl::Status s = CompareSignatures(calls, 0, 2);
  EXPECT_THAT(s.message(), HasSubstr("(the collective and root differ; 1 of 2 ranks differs"));
}

}  // namespace
}  // namespace ultracc::engine
