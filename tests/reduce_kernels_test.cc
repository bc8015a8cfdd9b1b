// Tests of collectives/reduce_kernels.h against a plain scalar reference, for every data type and
// operator, odd counts (vector remainders), unaligned buffers, 1..5 inputs, in and out of place.
#include "collectives/reduce_kernels.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "collectives/datatype.h"
#include "collectives/low_precision.h"
#include "gtest/gtest.h"

namespace ultracc::collectives {
namespace {

template <typename T>
T RefApply(RedOp op, T a, T b) {
  switch (op) {
    case RedOp::kSum:
    case RedOp::kAvg:
      if constexpr (std::is_integral_v<T>) {
        return static_cast<T>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
      } else {
        return a + b;
      }
    case RedOp::kProd:
      if constexpr (std::is_integral_v<T>) {
        return static_cast<T>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
      } else {
        return a * b;
      }
    case RedOp::kMax:
      return a < b ? b : a;
    case RedOp::kMin:
      return b < a ? b : a;
  }
  return a;
}

template <typename T>
void RefNative(RedOp op, void* out, const std::vector<const void*>& ins, size_t i) {
  T acc = static_cast<const T*>(ins[0])[i];
  for (size_t k = 1; k < ins.size(); ++k) acc = RefApply(op, acc, static_cast<const T*>(ins[k])[i]);
  static_cast<T*>(out)[i] = acc;
}

template <typename S>
void RefNarrow(RedOp op, float (*widen)(S), S (*narrow)(float), void* out,
               const std::vector<const void*>& ins, size_t i) {
  float acc = widen(static_cast<const S*>(ins[0])[i]);
  for (size_t k = 1; k < ins.size(); ++k) {
    acc = RefApply(op, acc, widen(static_cast<const S*>(ins[k])[i]));
  }
  static_cast<S*>(out)[i] = narrow(acc);
}

uint16_t ToHalf(float f) { return Float32ToFloat16(f); }
float FromHalf(uint16_t h) { return Float16ToFloat32(h); }
uint16_t ToBf16(float f) { return Float32ToBfloat16(f); }
float FromBf16(uint16_t h) { return Bfloat16ToFloat32(h); }
uint8_t ToE4m3(float f) { return Float32ToFloat8e4m3(f); }
uint8_t ToE5m2(float f) { return Float32ToFloat8e5m2(f); }

// Element i of out = ins[0] op ins[1] op ... computed one element at a time.
void Reference(DataType type, RedOp op, void* out, const std::vector<const void*>& ins, size_t i) {
  switch (type) {
    case DataType::kInt8:
      return RefNative<int8_t>(op, out, ins, i);
    case DataType::kUint8:
      return RefNative<uint8_t>(op, out, ins, i);
    case DataType::kInt32:
      return RefNative<int32_t>(op, out, ins, i);
    case DataType::kUint32:
      return RefNative<uint32_t>(op, out, ins, i);
    case DataType::kInt64:
      return RefNative<int64_t>(op, out, ins, i);
    case DataType::kUint64:
      return RefNative<uint64_t>(op, out, ins, i);
    case DataType::kFloat32:
      return RefNative<float>(op, out, ins, i);
    case DataType::kFloat64:
      return RefNative<double>(op, out, ins, i);
    case DataType::kFloat16:
      return RefNarrow<uint16_t>(op, FromHalf, ToHalf, out, ins, i);
    case DataType::kBfloat16:
      return RefNarrow<uint16_t>(op, FromBf16, ToBf16, out, ins, i);
    case DataType::kFloat8e4m3:
      return RefNarrow<uint8_t>(op, Float8e4m3ToFloat32, ToE4m3, out, ins, i);
    case DataType::kFloat8e5m2:
      return RefNarrow<uint8_t>(op, Float8e5m2ToFloat32, ToE5m2, out, ins, i);
  }
}

// Random finite values: any bits for integers; floats in [-4, 4] (products: magnitudes in
// [0.5, 2]) so that narrow types neither overflow nor produce NaN.
void FillRandom(DataType type, RedOp op, void* data, size_t count, std::mt19937& rng) {
  const size_t size = DataTypeSize(type);
  unsigned char* bytes = static_cast<unsigned char*>(data);
  std::uniform_real_distribution<float> value(-4.0f, 4.0f);
  std::uniform_real_distribution<float> factor(0.5f, 2.0f);
  for (size_t i = 0; i < count; ++i) {
    float f = op == RedOp::kProd ? factor(rng) * (rng() % 2 ? 1 : -1) : value(rng);
    unsigned char* e = bytes + i * size;
    switch (type) {
      case DataType::kFloat32:
        std::memcpy(e, &f, 4);
        break;
      case DataType::kFloat64: {
        const double d = static_cast<double>(f) * (1 + 1e-9 * (rng() % 1000));
        std::memcpy(e, &d, 8);
        break;
      }
      case DataType::kFloat16: {
        const uint16_t h = ToHalf(f);
        std::memcpy(e, &h, 2);
        break;
      }
      case DataType::kBfloat16: {
        const uint16_t h = ToBf16(f);
        std::memcpy(e, &h, 2);
        break;
      }
      case DataType::kFloat8e4m3:
        *e = ToE4m3(f);
        break;
      case DataType::kFloat8e5m2:
        *e = ToE5m2(f);
        break;
      default:
        for (size_t b = 0; b < size; ++b) e[b] = static_cast<unsigned char>(rng());
    }
  }
}

class ReduceKernelsTest : public ::testing::TestWithParam<std::tuple<DataType, RedOp>> {};

TEST_P(ReduceKernelsTest, ReduceManyMatchesScalarReference) {
  const auto [type, op] = GetParam();
  const size_t size = DataTypeSize(type);
  std::mt19937 rng(static_cast<int>(type) * 10 + static_cast<int>(op));
  for (size_t count : {1, 3, 31, 4097, 10001}) {
    for (size_t num_ins : {1, 2, 3, 5}) {
      for (bool in_place : {false, true}) {
        // One element of offset makes every buffer unaligned for vector loads.
        std::vector<std::vector<unsigned char>> storage(
            num_ins, std::vector<unsigned char>((count + 1) * size));
        std::vector<const void*> ins;
        for (auto& s : storage) {
          FillRandom(type, op, s.data() + size, count, rng);
          ins.push_back(s.data() + size);
        }
        std::vector<unsigned char> expected(count * size);
        for (size_t i = 0; i < count; ++i) Reference(type, op, expected.data(), ins, i);
        std::vector<unsigned char> separate((count + 1) * size);
        void* out = in_place ? const_cast<void*>(ins[0]) : separate.data() + size;
        ReduceMany(type, op, out, ins, count);
        ASSERT_EQ(std::memcmp(out, expected.data(), count * size), 0)
            << DataTypeName(type) << " " << RedOpName(op) << " count " << count << " inputs "
            << num_ins << (in_place ? " in place" : " out of place");
      }
    }
  }
}

TEST_P(ReduceKernelsTest, ReduceIntoMatchesScalarReference) {
  const auto [type, op] = GetParam();
  const size_t size = DataTypeSize(type);
  std::mt19937 rng(7 + static_cast<int>(type) * 10 + static_cast<int>(op));
  for (size_t count : {0, 1, 7, 33, 1025, 9999}) {
    std::vector<unsigned char> a((count + 1) * size), b((count + 1) * size);
    FillRandom(type, op, a.data() + size, count, rng);
    FillRandom(type, op, b.data() + size, count, rng);
    std::vector<unsigned char> expected(count * size);
    const std::vector<const void*> ins = {a.data() + size, b.data() + size};
    for (size_t i = 0; i < count; ++i) Reference(type, op, expected.data(), ins, i);
    ReduceInto(type, op, a.data() + size, b.data() + size, count);
    // memcmp of zero bytes still wants non-null pointers; an empty vector's data() may be null.
    ASSERT_TRUE(count == 0 || std::memcmp(a.data() + size, expected.data(), count * size) == 0)
        << DataTypeName(type) << " " << RedOpName(op) << " count " << count;
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllTypesAndOps, ReduceKernelsTest,
    ::testing::Combine(
        ::testing::Values(DataType::kInt8, DataType::kUint8, DataType::kInt32, DataType::kUint32,
                          DataType::kInt64, DataType::kUint64, DataType::kFloat16,
                          DataType::kFloat32, DataType::kFloat64, DataType::kBfloat16,
                          DataType::kFloat8e4m3, DataType::kFloat8e5m2),
        ::testing::Values(RedOp::kSum, RedOp::kProd, RedOp::kMax, RedOp::kMin, RedOp::kAvg)),
    [](const auto& info) {
      return std::string(DataTypeName(std::get<0>(info.param))) + "_" +
             std::string(RedOpName(std::get<1>(info.param)));
    });

TEST(DivideByTest, IntegersTruncateTowardZero) {
  int32_t i32[] = {-7, 7, -1, 0, 2147483647};
  DivideBy(DataType::kInt32, i32, 5, 2);
  EXPECT_EQ(std::vector<int32_t>(i32, i32 + 5), (std::vector<int32_t>{-3, 3, 0, 0, 1073741823}));
  int8_t i8[] = {-128, 127, 100};
  DivideBy(DataType::kInt8, i8, 3, 1000);  // the divisor does not fit the element type
  EXPECT_EQ(std::vector<int8_t>(i8, i8 + 3), (std::vector<int8_t>{0, 0, 0}));
  uint8_t u8[] = {255, 200};
  DivideBy(DataType::kUint8, u8, 2, 3);
  EXPECT_EQ(std::vector<uint8_t>(u8, u8 + 2), (std::vector<uint8_t>{85, 66}));
  uint64_t u64[] = {~uint64_t{0}};
  DivideBy(DataType::kUint64, u64, 1, 2);
  EXPECT_EQ(u64[0], ~uint64_t{0} / 2);
  int64_t i64[] = {-9000000000000000001};
  DivideBy(DataType::kInt64, i64, 1, 10);
  EXPECT_EQ(i64[0], -900000000000000000);
}

TEST(DivideByTest, FloatsDivideAndRoundOnce) {
  float f[] = {1.0f, -3.0f, 10.0f};
  DivideBy(DataType::kFloat32, f, 3, 3);
  EXPECT_EQ(f[0], 1.0f / 3);
  EXPECT_EQ(f[1], -1.0f);
  EXPECT_EQ(f[2], 10.0f / 3);
  double d[] = {1.0};
  DivideBy(DataType::kFloat64, d, 1, 3);
  EXPECT_EQ(d[0], 1.0 / 3);
  uint16_t h[] = {ToHalf(1.0f), ToHalf(6.0f)};
  DivideBy(DataType::kFloat16, h, 2, 3);
  EXPECT_EQ(h[0], ToHalf(1.0f / 3));
  EXPECT_EQ(h[1], ToHalf(2.0f));
  uint8_t e4[] = {ToE4m3(448.0f)};
  DivideBy(DataType::kFloat8e4m3, e4, 1, 7);
  EXPECT_EQ(Float8e4m3ToFloat32(e4[0]), 64.0f);
}

TEST(ReduceManyTest, ZeroCountAndNoInputsWriteNothing) {
  float out = 5.0f;
  const float in = 1.0f;
  const void* ins[] = {&in, &in};
  ReduceMany(DataType::kFloat32, RedOp::kSum, &out, ins, 0);
  ReduceMany(DataType::kFloat32, RedOp::kSum, &out, {}, 1);
  EXPECT_EQ(out, 5.0f);
}

// Inputs whose float32 sum depends on the order: large values that cancel across groups and
// small ones that vanish against them.
std::vector<std::vector<float>> OrderSensitiveInputs(size_t inputs, size_t count) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> small(-1.0f, 1.0f);
  std::vector<std::vector<float>> in(inputs, std::vector<float>(count));
  for (size_t i = 0; i < inputs; ++i) {
    for (size_t e = 0; e < count; ++e) in[i][e] = (i % 3 == 0 ? 1e7f : 1.0f) * small(rng);
  }
  return in;
}

// Groups of `group`, each summed left to right, then the groups' sums left to right.
std::vector<float> GroupedSum(const std::vector<std::vector<float>>& in, size_t group) {
  const size_t count = in[0].size();
  std::vector<float> out(count);
  for (size_t e = 0; e < count; ++e) {
    float total = 0;
    for (size_t g = 0; g < in.size(); g += group) {
      float part = in[g][e];
      for (size_t i = g + 1; i < std::min(in.size(), g + group); ++i) part += in[i][e];
      total = g == 0 ? part : total + part;
    }
    out[e] = total;
  }
  return out;
}

TEST(ReduceInGroupsTest, SumsEachGroupThenTheGroupsAcrossBlocks) {
  // Past one 16 KiB block of scratch, and not a whole number of blocks.
  const size_t count = 3 * 4096 + 5;
  for (size_t inputs : {4u, 6u, 7u}) {
    for (size_t group : {2u, 3u}) {
      SCOPED_TRACE(::testing::Message() << inputs << " inputs in groups of " << group);
      const auto in = OrderSensitiveInputs(inputs, count);
      std::vector<const void*> ins;
      for (const auto& v : in) ins.push_back(v.data());
      std::vector<float> out(count + 1, -1.0f);
      ReduceInGroups(DataType::kFloat32, RedOp::kSum, out.data(), ins, count, group);
      const std::vector<float> want = GroupedSum(in, group);
      ASSERT_EQ(std::memcmp(out.data(), want.data(), count * sizeof(float)), 0);
      EXPECT_EQ(out[count], -1.0f) << "wrote past the count";
      // In place into any of the inputs, the first of a later group included.
      for (size_t alias : {size_t{0}, group, inputs - 1}) {
        auto copy = in;
        std::vector<const void*> aliased;
        for (const auto& v : copy) aliased.push_back(v.data());
        ReduceInGroups(DataType::kFloat32, RedOp::kSum, copy[alias].data(), aliased, count, group);
        EXPECT_EQ(std::memcmp(copy[alias].data(), want.data(), count * sizeof(float)), 0)
            << "in place into input " << alias;
      }
    }
  }
}

TEST(ReduceInGroupsTest, OtherTypesAndOpsReduceAsOneCall) {
  const size_t count = 1001;
  const auto in = OrderSensitiveInputs(5, count);
  std::vector<const void*> ins;
  for (const auto& v : in) ins.push_back(v.data());
  std::vector<float> grouped(count), once(count);
  // Max is exact; the group size changes nothing.
  ReduceInGroups(DataType::kFloat32, RedOp::kMax, grouped.data(), ins, count, 2);
  ReduceMany(DataType::kFloat32, RedOp::kMax, once.data(), ins, count);
  EXPECT_EQ(grouped, once);
  // One group (a single node), or groups of one: one left-to-right sum.
  for (size_t group : {1u, 5u, 9u}) {
    ReduceInGroups(DataType::kFloat32, RedOp::kSum, grouped.data(), ins, count, group);
    ReduceMany(DataType::kFloat32, RedOp::kSum, once.data(), ins, count);
    EXPECT_EQ(grouped, once) << "groups of " << group;
  }
  // Narrow types round once per call: grouping would round more, so they do not group.
  std::vector<std::vector<uint16_t>> halves(5, std::vector<uint16_t>(count));
  std::vector<const void*> half_ins;
  for (size_t i = 0; i < 5; ++i) {
    for (size_t e = 0; e < count; ++e) halves[i][e] = ToHalf(in[i][e] * 1e-4f);
    half_ins.push_back(halves[i].data());
  }
  std::vector<uint16_t> h_grouped(count), h_once(count);
  ReduceInGroups(DataType::kFloat16, RedOp::kSum, h_grouped.data(), half_ins, count, 2);
  ReduceMany(DataType::kFloat16, RedOp::kSum, h_once.data(), half_ins, count);
  EXPECT_EQ(h_grouped, h_once);
  // In place into a later input without groups: one call with that input first (the only input
  // ReduceMany reduces in place into).
  auto copy = halves;
  std::vector<const void*> aliased;
  for (const auto& v : copy) aliased.push_back(v.data());
  ReduceInGroups(DataType::kFloat16, RedOp::kSum, copy[3].data(), aliased, count, 2);
  const void* first_aliased[] = {half_ins[3], half_ins[0], half_ins[1], half_ins[2], half_ins[4]};
  ReduceMany(DataType::kFloat16, RedOp::kSum, h_once.data(), first_aliased, count);
  EXPECT_EQ(copy[3], h_once);
}

}  // namespace
}  // namespace ultracc::collectives
