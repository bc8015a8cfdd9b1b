// Tests of collectives/low_precision.h: every encoding of every narrow format round-trips, and
// narrowing matches an independent nearest-value search (ties to even, overflow and saturation
// rules) on every midpoint between neighbours, the floats next to it, and random floats.
#include "collectives/low_precision.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace ultracc::collectives {
namespace {

struct Format {
  std::string name;
  int bits;           // 8 or 16
  int mantissa_bits;  // fraction bits
  bool has_inf;       // IEEE layout; otherwise FN (saturating, no infinities)
  float (*widen)(uint32_t);
  uint32_t (*narrow)(float);
};

const Format kFormats[] = {
    {"half", 16, 10, true, [](uint32_t v) { return Float16ToFloat32(v); },
     [](float f) -> uint32_t { return Float32ToFloat16(f); }},
    {"bfloat16", 16, 7, true, [](uint32_t v) { return Bfloat16ToFloat32(v); },
     [](float f) -> uint32_t { return Float32ToBfloat16(f); }},
    {"f8e4m3", 8, 3, false, [](uint32_t v) { return Float8e4m3ToFloat32(v); },
     [](float f) -> uint32_t { return Float32ToFloat8e4m3(f); }},
    {"f8e5m2", 8, 2, true, [](uint32_t v) { return Float8e5m2ToFloat32(v); },
     [](float f) -> uint32_t { return Float32ToFloat8e5m2(f); }},
};

uint32_t SignBit(const Format& f) { return 1u << (f.bits - 1); }

// Positive finite encodings in ascending order with their values, from the widening direction
// (itself checked against the formula in ValuesMatchTheFormula).
struct Ladder {
  std::vector<uint32_t> encodings;
  std::vector<double> values;
};

Ladder PositiveFinite(const Format& f) {
  Ladder ladder;
  for (uint32_t v = 0; v < SignBit(f); ++v) {
    const float x = f.widen(v);
    if (std::isfinite(x)) {
      ladder.encodings.push_back(v);
      ladder.values.push_back(x);
    }
  }
  return ladder;
}

// The ladder plus, for IEEE formats, inf placed where rounding treats it: one more ulp of the top
// binade (so values from the midpoint above the largest finite on round to inf).
Ladder WithInfinity(const Format& f, Ladder ladder) {
  if (f.has_inf) {
    const double max = ladder.values.back();
    ladder.values.push_back(max + std::ldexp(1.0, std::ilogb(max) - f.mantissa_bits));
    ladder.encodings.push_back(ladder.encodings.back() + 1);
  }
  return ladder;
}

// The correctly rounded encoding of finite `x`, found by search in WithInfinity's ladder: nearest
// value, ties to the even encoding; beyond the top, IEEE formats give inf and FN ones saturate.
uint32_t ReferenceNarrow(const Format& f, const Ladder& ladder, float x) {
  const uint32_t sign = std::signbit(x) ? SignBit(f) : 0;
  const double a = std::fabs(static_cast<double>(x));
  const std::vector<double>& values = ladder.values;
  const std::vector<uint32_t>& encodings = ladder.encodings;
  if (a >= values.back()) return sign | encodings.back();
  const size_t hi = std::upper_bound(values.begin(), values.end(), a) - values.begin();
  const size_t lo = hi - 1;
  if (a == values[lo]) return sign | encodings[lo];
  const double mid = (values[lo] + values[hi]) / 2;
  if (a < mid) return sign | encodings[lo];
  if (a > mid) return sign | encodings[hi];
  return sign | ((encodings[lo] & 1) == 0 ? encodings[lo] : encodings[hi]);
}

bool IsNaNEncoding(const Format& f, uint32_t v) { return std::isnan(f.widen(v)); }

TEST(LowPrecisionTest, EveryEncodingRoundTrips) {
  for (const Format& f : kFormats) {
    int nans = 0;
    for (uint32_t v = 0; v < (1u << f.bits); ++v) {
      const float x = f.widen(v);
      const uint32_t back = f.narrow(x);
      if (std::isnan(x)) {
        ++nans;
        EXPECT_TRUE(IsNaNEncoding(f, back)) << f.name << " " << v;
        EXPECT_EQ(back & SignBit(f), v & SignBit(f)) << f.name << " " << v;
        // A quiet NaN comes back bit for bit (FN formats have a single NaN per sign).
        const uint32_t quiet_bit = 1u << (f.mantissa_bits - 1);
        if (!f.has_inf || (v & quiet_bit)) {
          EXPECT_EQ(back, v) << f.name << " " << v;
        }
      } else {
        EXPECT_EQ(back, v) << f.name << " encoding " << v << " value " << x;
      }
    }
    EXPECT_EQ(nans, f.has_inf ? 2 * ((1 << f.mantissa_bits) - 1) : 2) << f.name;
  }
}

TEST(LowPrecisionTest, ValuesMatchTheFormula) {
  for (const Format& f : kFormats) {
    const int exp_bits = f.bits - 1 - f.mantissa_bits;
    const int bias = (1 << (exp_bits - 1)) - 1;
    for (uint32_t v = 0; v < (1u << f.bits); ++v) {
      const int exp = (v >> f.mantissa_bits) & ((1 << exp_bits) - 1);
      const int man = v & ((1 << f.mantissa_bits) - 1);
      const double sign = (v & SignBit(f)) ? -1 : 1;
      const float x = f.widen(v);
      if (exp == (1 << exp_bits) - 1 && (f.has_inf || man == (1 << f.mantissa_bits) - 1)) {
        if (f.has_inf && man == 0) {
          EXPECT_EQ(x, sign * std::numeric_limits<float>::infinity()) << f.name << " " << v;
        } else {
          EXPECT_TRUE(std::isnan(x)) << f.name << " " << v;
        }
        continue;
      }
      const double expected =
          exp == 0 ? sign * std::ldexp(man, 1 - bias - f.mantissa_bits)
                   : sign * std::ldexp((1 << f.mantissa_bits) + man, exp - bias - f.mantissa_bits);
      EXPECT_EQ(static_cast<double>(x), expected) << f.name << " encoding " << v;
    }
  }
}

TEST(LowPrecisionTest, NarrowingMatchesNearestValueSearch) {
  std::mt19937 rng(1234);
  for (const Format& f : kFormats) {
    const Ladder ladder = PositiveFinite(f);
    const Ladder reference = WithInfinity(f, ladder);
    std::vector<float> samples;
    for (size_t i = 0; i + 1 < reference.values.size(); ++i) {
      const float mid = static_cast<float>((reference.values[i] + reference.values[i + 1]) / 2);
      samples.push_back(mid);  // exact: one bit more than the format needs
      samples.push_back(std::nextafter(mid, 0.0f));
      samples.push_back(std::nextafter(mid, 1e30f));
    }
    const float max = static_cast<float>(ladder.values.back());
    for (float x :
         {max, std::nextafter(max, 1e30f), max * 1.03125f, max * 1.0625f,
          max * 1.0625f * 1.0000001f, max * 2, 1e30f, std::numeric_limits<float>::max(),
          std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::min(), 0.0f}) {
      samples.push_back(x);
    }
    std::uniform_int_distribution<uint32_t> bits;
    for (int i = 0; i < 100000; ++i) {
      const float x = std::bit_cast<float>(bits(rng));
      if (std::isfinite(x)) samples.push_back(x);
    }
    for (float x : samples) {
      for (float signed_x : {x, -x}) {
        ASSERT_EQ(f.narrow(signed_x), ReferenceNarrow(f, reference, signed_x))
            << f.name << " narrowing " << signed_x << " (bits " << std::hex
            << std::bit_cast<uint32_t>(signed_x) << ")";
      }
    }
  }
}

TEST(LowPrecisionTest, SelectedRoundingCases) {
  // Ties to even.
  EXPECT_EQ(Float32ToFloat16(1.0f + 0x1p-11f), 0x3c00);
  EXPECT_EQ(Float32ToFloat16(1.0f + 3 * 0x1p-11f), 0x3c02);
  EXPECT_EQ(Float32ToBfloat16(1.0f + 0x1p-8f), 0x3f80);
  EXPECT_EQ(Float32ToBfloat16(1.0f + 3 * 0x1p-8f), 0x3f82);
  // Largest finite, and the tie above it goes to inf (IEEE) or saturates (E4M3).
  EXPECT_EQ(Float32ToFloat16(65504.0f), 0x7bff);
  EXPECT_EQ(Float32ToFloat16(65519.0f), 0x7bff);
  EXPECT_EQ(Float32ToFloat16(65520.0f), 0x7c00);
  EXPECT_EQ(Float32ToFloat8e5m2(57344.0f), 0x7b);
  EXPECT_EQ(Float32ToFloat8e5m2(61439.0f), 0x7b);
  EXPECT_EQ(Float32ToFloat8e5m2(61440.0f), 0x7c);
  EXPECT_EQ(Float32ToFloat8e4m3(448.0f), 0x7e);
  EXPECT_EQ(Float32ToFloat8e4m3(464.0f), 0x7e);
  EXPECT_EQ(Float32ToFloat8e4m3(-1e9f), 0xfe);
  EXPECT_EQ(Float32ToBfloat16(std::numeric_limits<float>::max()), 0x7f80);
  // Subnormals: smallest, ties to zero and to even, carry into the smallest normal.
  EXPECT_EQ(Float32ToFloat16(0x1p-24f), 0x0001);
  EXPECT_EQ(Float32ToFloat16(0x1p-25f), 0x0000);
  EXPECT_EQ(Float32ToFloat16(0x1p-25f * 1.0001f), 0x0001);
  EXPECT_EQ(Float32ToFloat16(3 * 0x1p-25f), 0x0002);
  EXPECT_EQ(Float32ToFloat16(0x1p-14f - 0x1p-26f), 0x0400);
  EXPECT_EQ(Float32ToFloat8e4m3(0x1p-9f), 0x01);
  EXPECT_EQ(Float32ToFloat8e4m3(0x1p-10f), 0x00);
  EXPECT_EQ(Float32ToFloat8e4m3(3 * 0x1p-10f), 0x02);
  EXPECT_EQ(Float32ToFloat8e5m2(0x1p-16f), 0x01);
  EXPECT_EQ(Float32ToBfloat16(std::numeric_limits<float>::denorm_min() * 65536), 0x0001);
  EXPECT_EQ(Float32ToFloat16(-0.0f), 0x8000);
  // Infinities and NaN.
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(Float32ToFloat16(-inf), 0xfc00);
  EXPECT_EQ(Float32ToFloat8e5m2(inf), 0x7c);
  EXPECT_EQ(Float32ToFloat8e4m3(inf), 0x7f);
  EXPECT_EQ(Float32ToFloat8e4m3(-inf), 0xff);
  EXPECT_EQ(Float32ToFloat8e4m3(nan), 0x7f);
  EXPECT_EQ(Float32ToFloat16(nan), 0x7e00);
  EXPECT_EQ(Float32ToBfloat16(nan), 0x7fc0);
  EXPECT_TRUE(std::isnan(Float8e4m3ToFloat32(0x7f)));
  EXPECT_EQ(Float8e4m3ToFloat32(0x7e), 448.0f);
  EXPECT_EQ(Float8e4m3ToFloat32(0x08), 0x1p-6f);
}

#if defined(__x86_64__)
__attribute__((target("f16c"))) uint16_t HardwareFloat16(float x) {
  return static_cast<uint16_t>(_cvtss_sh(x, 0));  // 0 = round to nearest even
}

TEST(LowPrecisionTest, Float16MatchesF16cHardware) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("f16c")) GTEST_SKIP() << "CPU has no F16C";
  std::mt19937 rng(99);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 1000000; ++i) {
    // Bias towards half's range: exponents 100..145.
    uint32_t b = bits(rng);
    if (i % 2 == 0) b = (b & 0x807fffffu) | ((100u + (b >> 24) % 46) << 23);
    const float x = std::bit_cast<float>(b);
    if (std::isnan(x)) continue;
    ASSERT_EQ(Float32ToFloat16(x), HardwareFloat16(x)) << std::hex << b;
  }
}
#endif

}  // namespace
}  // namespace ultracc::collectives
