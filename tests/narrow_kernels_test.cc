// The narrow floating-point paths of the reduction kernels (half, bfloat16, E4M3, E5M2), in every
// build the CPU can run (baseline, AVX2 + F16C, AVX-512), against low_precision.h's scalar
// conversions: every encoding as an operand, every op, and Avg's division. Their vectorised
// conversions are written apart from low_precision.h's, so this is where the two must agree.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "collectives/low_precision.h"
#include "collectives/reduce_kernels.h"
#include "collectives/reduce_loops.h"
#include "gtest/gtest.h"

namespace ultracc::collectives {
namespace {

struct Path {
  std::string name;
  std::function<bool(DataType, RedOp, void*, const void* const*, size_t, size_t)> reduce_many;
  std::function<bool(DataType, void*, size_t, int64_t)> divide;
};

std::vector<Path> Paths() {
  std::vector<Path> paths;
  paths.push_back({"dispatched",
                   [](DataType t, RedOp op, void* out, const void* const* ins, size_t k, size_t n) {
                     ReduceMany(t, op, out, absl::MakeConstSpan(ins, k), n);
                     return true;
                   },
                   [](DataType t, void* inout, size_t n, int64_t d) {
                     DivideBy(t, inout, n, d);
                     return true;
                   }});
  paths.push_back({"baseline",
                   [](DataType t, RedOp op, void* out, const void* const* ins, size_t k, size_t n) {
                     ReduceManyAny(t, op, out, ins, k, n);
                     return true;
                   },
                   [](DataType t, void* inout, size_t n, int64_t d) {
                     DivideAny(t, inout, n, d);
                     return true;
                   }});
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c")) {
    paths.push_back({"avx2", internal::ReduceManyAvx2, internal::DivideByAvx2});
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
      paths.push_back({"avx512", internal::ReduceManyAvx512, internal::DivideByAvx512});
    }
  }
#endif
  return paths;
}

struct Format {
  DataType type;
  int bits;
  float (*widen)(uint32_t);
  uint32_t (*narrow)(float);
};

const Format kFormats[] = {
    {DataType::kFloat16, 16, [](uint32_t v) { return Float16ToFloat32(static_cast<uint16_t>(v)); },
     [](float f) -> uint32_t { return Float32ToFloat16(f); }},
    {DataType::kBfloat16, 16,
     [](uint32_t v) { return Bfloat16ToFloat32(static_cast<uint16_t>(v)); },
     [](float f) -> uint32_t { return Float32ToBfloat16(f); }},
    {DataType::kFloat8e4m3, 8,
     [](uint32_t v) { return Float8e4m3ToFloat32(static_cast<uint8_t>(v)); },
     [](float f) -> uint32_t { return Float32ToFloat8e4m3(f); }},
    {DataType::kFloat8e5m2, 8,
     [](uint32_t v) { return Float8e5m2ToFloat32(static_cast<uint8_t>(v)); },
     [](float f) -> uint32_t { return Float32ToFloat8e5m2(f); }},
};

float Apply(RedOp op, float a, float b) {
  switch (op) {
    case RedOp::kSum:
    case RedOp::kAvg:
      return a + b;
    case RedOp::kProd:
      return a * b;
    case RedOp::kMax:
      return a < b ? b : a;
    case RedOp::kMin:
      return b < a ? b : a;
  }
  return a;
}

// Elements of `bits` bits in a byte vector, and back.
std::vector<unsigned char> Pack(const std::vector<uint32_t>& values, int bits) {
  std::vector<unsigned char> bytes(values.size() * bits / 8);
  for (size_t i = 0; i < values.size(); ++i)
    std::memcpy(&bytes[i * bits / 8], &values[i], bits / 8);
  return bytes;
}
uint32_t Unpack(const std::vector<unsigned char>& bytes, size_t i, int bits) {
  uint32_t v = 0;
  std::memcpy(&v, &bytes[i * bits / 8], bits / 8);
  return v;
}

// The same result, where NaN need only be NaN: which NaN an operation returns when both operands
// are NaN depends on operand order, which a vectoriser may swap.
bool Same(const Format& f, uint32_t got, uint32_t want) {
  if (std::isnan(f.widen(want))) return std::isnan(f.widen(got));
  return got == want;
}

// Operand pairs: every encoding against every encoding (8-bit) or against three permutations of
// all encodings plus itself (16-bit), so every encoding meets zeros, subnormals, infinities, NaNs
// and values whose results overflow or fall below the format's range.
void Operands(const Format& f, std::vector<uint32_t>* a, std::vector<uint32_t>* b) {
  const uint32_t n = 1u << f.bits;
  std::vector<uint32_t> all(n);
  for (uint32_t v = 0; v < n; ++v) all[v] = v;
  if (f.bits == 8) {
    for (uint32_t x = 0; x < n; ++x) {
      for (uint32_t y = 0; y < n; ++y) {
        a->push_back(x);
        b->push_back(y);
      }
    }
    return;
  }
  std::mt19937 rng(7);
  a->insert(a->end(), all.begin(), all.end());
  b->insert(b->end(), all.begin(), all.end());
  for (int round = 0; round < 3; ++round) {
    std::vector<uint32_t> shuffled = all;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    a->insert(a->end(), all.begin(), all.end());
    b->insert(b->end(), shuffled.begin(), shuffled.end());
  }
}

TEST(NarrowKernelsTest, EveryEncodingPairMatchesTheScalarConversions) {
  for (const Path& path : Paths()) {
    for (const Format& f : kFormats) {
      std::vector<uint32_t> a, b;
      Operands(f, &a, &b);
      const std::vector<unsigned char> in_a = Pack(a, f.bits), in_b = Pack(b, f.bits);
      for (RedOp op : {RedOp::kSum, RedOp::kProd, RedOp::kMax, RedOp::kMin}) {
        std::vector<unsigned char> out(in_a.size());
        const void* ins[2] = {in_a.data(), in_b.data()};
        ASSERT_TRUE(path.reduce_many(f.type, op, out.data(), ins, 2, a.size()));
        size_t wrong = 0;
        for (size_t i = 0; i < a.size() && wrong < 5; ++i) {
          const uint32_t want = f.narrow(Apply(op, f.widen(a[i]), f.widen(b[i])));
          const uint32_t got = Unpack(out, i, f.bits);
          if (Same(f, got, want)) continue;
          ++wrong;
          ADD_FAILURE() << path.name << " " << DataTypeName(f.type) << " op "
                        << static_cast<int>(op) << ": 0x" << std::hex << a[i] << " op 0x" << b[i]
                        << " gave 0x" << got << ", expected 0x" << want;
        }
      }
    }
  }
}

// Three inputs in place (out = ins[0]): the float32 accumulator carries between them, rounded once.
TEST(NarrowKernelsTest, ThreeInputsInPlaceRoundOnce) {
  std::mt19937 rng(11);
  for (const Path& path : Paths()) {
    for (const Format& f : kFormats) {
      const size_t n = 10007;  // blocks of 4096 and an odd remainder
      std::vector<uint32_t> x(n), y(n), z(n);
      for (size_t i = 0; i < n; ++i) {
        x[i] = rng() & ((1u << f.bits) - 1);
        y[i] = rng() & ((1u << f.bits) - 1);
        z[i] = rng() & ((1u << f.bits) - 1);
      }
      std::vector<unsigned char> inout = Pack(x, f.bits);
      const std::vector<unsigned char> in_y = Pack(y, f.bits), in_z = Pack(z, f.bits);
      const void* ins[3] = {inout.data(), in_y.data(), in_z.data()};
      ASSERT_TRUE(path.reduce_many(f.type, RedOp::kSum, inout.data(), ins, 3, n));
      for (size_t i = 0; i < n; ++i) {
        const uint32_t want = f.narrow(f.widen(x[i]) + f.widen(y[i]) + f.widen(z[i]));
        ASSERT_TRUE(Same(f, Unpack(inout, i, f.bits), want))
            << path.name << " " << DataTypeName(f.type) << " element " << i;
      }
    }
  }
}

TEST(NarrowKernelsTest, AvgDivisionOfEveryEncoding) {
  for (const Path& path : Paths()) {
    for (const Format& f : kFormats) {
      std::vector<uint32_t> all(1u << f.bits);
      for (uint32_t v = 0; v < all.size(); ++v) all[v] = v;
      for (int64_t divisor : {1, 3, 8, 1000}) {
        std::vector<unsigned char> data = Pack(all, f.bits);
        ASSERT_TRUE(path.divide(f.type, data.data(), all.size(), divisor));
        for (uint32_t v = 0; v < all.size(); ++v) {
          const uint32_t want = f.narrow(f.widen(v) / static_cast<float>(divisor));
          ASSERT_TRUE(Same(f, Unpack(data, v, f.bits), want))
              << path.name << " " << DataTypeName(f.type) << " 0x" << std::hex << v << " / "
              << std::dec << divisor;
        }
      }
    }
  }
}

}  // namespace
}  // namespace ultracc::collectives
