// Tests of collectives/datatype.h: values, sizes and names follow the public API (NCCL order).
#include "collectives/datatype.h"

#include "gtest/gtest.h"

namespace ultracc::collectives {
namespace {

TEST(DataTypeTest, ValuesFollowNcclOrder) {
  EXPECT_EQ(static_cast<int>(DataType::kInt8), 0);
  EXPECT_EQ(static_cast<int>(DataType::kFloat16), 6);
  EXPECT_EQ(static_cast<int>(DataType::kFloat32), 7);
  EXPECT_EQ(static_cast<int>(DataType::kBfloat16), 9);
  EXPECT_EQ(static_cast<int>(DataType::kFloat8e5m2), 11);
  EXPECT_EQ(static_cast<int>(RedOp::kAvg), 4);
}

TEST(DataTypeTest, SizesAndNames) {
  const struct {
    DataType type;
    size_t size;
    const char* name;
  } expected[] = {
      {DataType::kInt8, 1, "int8"},         {DataType::kUint8, 1, "uint8"},
      {DataType::kInt32, 4, "int32"},       {DataType::kUint32, 4, "uint32"},
      {DataType::kInt64, 8, "int64"},       {DataType::kUint64, 8, "uint64"},
      {DataType::kFloat16, 2, "half"},      {DataType::kFloat32, 4, "float"},
      {DataType::kFloat64, 8, "double"},    {DataType::kBfloat16, 2, "bfloat16"},
      {DataType::kFloat8e4m3, 1, "f8e4m3"}, {DataType::kFloat8e5m2, 1, "f8e5m2"},
  };
  ASSERT_EQ(std::size(expected), static_cast<size_t>(kNumDataTypes));
  for (const auto& e : expected) {
    EXPECT_EQ(DataTypeSize(e.type), e.size) << e.name;
    EXPECT_EQ(DataTypeName(e.type), e.name);
  }
  EXPECT_EQ(DataTypeSize(static_cast<DataType>(12)), 0u);
  EXPECT_EQ(DataTypeName(static_cast<DataType>(-1)), "invalid");
}

TEST(DataTypeTest, RedOpNames) {
  EXPECT_EQ(RedOpName(RedOp::kSum), "sum");
  EXPECT_EQ(RedOpName(RedOp::kProd), "prod");
  EXPECT_EQ(RedOpName(RedOp::kMax), "max");
  EXPECT_EQ(RedOpName(RedOp::kMin), "min");
  EXPECT_EQ(RedOpName(RedOp::kAvg), "avg");
  EXPECT_EQ(RedOpName(static_cast<RedOp>(5)), "invalid");
}

TEST(DataTypeTest, Validity) {
  for (int v = 0; v < kNumDataTypes; ++v) EXPECT_TRUE(IsValidDataType(v));
  EXPECT_FALSE(IsValidDataType(-1));
  EXPECT_FALSE(IsValidDataType(kNumDataTypes));
  for (int v = 0; v < kNumRedOps; ++v) EXPECT_TRUE(IsValidRedOp(v));
  EXPECT_FALSE(IsValidRedOp(-1));
  EXPECT_FALSE(IsValidRedOp(kNumRedOps));
}

}  // namespace
}  // namespace ultracc::collectives
