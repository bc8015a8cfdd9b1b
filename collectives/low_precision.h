// Conversions between float32 and the narrow floating-point formats collectives carry: IEEE
// binary16 ("half"), bfloat16, and the OCP 8-bit formats E4M3 (FN variant) and E5M2.
//
// Reductions on these types widen to float32, compute, and narrow once (see reduce_kernels.h), so
// only the two directions of conversion are needed, not arithmetic on the narrow types.
//
// Narrowing rounds to nearest, ties to even, with correct subnormals in every format.
// Special values:
//   half, bfloat16, E5M2 (IEEE-like): values that round past the largest finite become +-inf;
//     +-inf stays +-inf; NaN stays NaN with its sign, quiet bit set, payload truncated.
//   E4M3 (FN: no infinities, largest finite 448, NaN = S.1111.111): finite values beyond 448
//     saturate to +-448 (as CUDA's __NV_SATFINITE and NCCL's fp8 reductions do); +-inf and NaN
//     become NaN with the input's sign, because there is no infinity to keep and an infinite sum
//     is an error that must stay visible.
// Widening is exact. NaN inputs come back as quiet NaNs with sign and payload kept (signaling
// half/E5M2 NaNs are quieted, as F16C hardware does); bfloat16 widens by a plain shift.
#pragma once

#include <array>
#include <bit>
#include <cstdint>

namespace ultracc::collectives {

// An IEEE-style binary format with kExpBits exponent and kManBits fraction bits, narrower in
// both fields than float32. kHasInf = false gives the OCP "FN" layout: the all-ones exponent holds
// normal numbers and only the all-ones encoding (per sign) is NaN.
template <int kExpBits, int kManBits, bool kHasInf>
struct NarrowFloatFormat {
  static_assert(kExpBits < 8 && kManBits < 23);
  static constexpr bool kHasInfinity = kHasInf;
  static constexpr int kBias = (1 << (kExpBits - 1)) - 1;
  static constexpr uint32_t kSignBit = 1u << (kExpBits + kManBits);
  static constexpr uint32_t kExpAllOnes = (1u << kExpBits) - 1;
  static constexpr uint32_t kManMask = (1u << kManBits) - 1;
  // Largest non-NaN magnitude encoding: +inf for IEEE layouts, the largest finite for FN.
  static constexpr uint32_t kMaxMagnitude =
      kHasInf ? kExpAllOnes << kManBits : (1u << (kExpBits + kManBits)) - 2;
  static constexpr uint32_t kQuietNaN =
      kHasInf ? (kExpAllOnes << kManBits) | (1u << (kManBits - 1)) : kMaxMagnitude + 1;
  static constexpr int kDroppedBits = 23 - kManBits;

  static constexpr bool IsNaN(uint32_t v) {
    uint32_t magnitude = v & (kSignBit - 1);
    return kHasInf ? magnitude > (kExpAllOnes << kManBits) : magnitude == kQuietNaN;
  }

  // x >> shift rounded to nearest, ties to even; shift in [1, 31].
  static constexpr uint32_t RoundShift(uint32_t x, int shift) {
    uint32_t q = x >> shift;
    uint32_t rest = x & ((1u << shift) - 1);
    uint32_t half = 1u << (shift - 1);
    if (rest > half || (rest == half && (q & 1))) ++q;
    return q;
  }

  static constexpr uint32_t FromFloat(float f) {
    const uint32_t bits = std::bit_cast<uint32_t>(f);
    const uint32_t sign = (bits >> 31) ? kSignBit : 0;
    const uint32_t abs = bits & 0x7fffffffu;
    if (abs > 0x7f800000u) {
      if constexpr (kHasInf) return sign | kQuietNaN | ((abs & 0x7fffffu) >> kDroppedBits);
      return sign | kQuietNaN;
    }
    if (abs == 0x7f800000u) return sign | (kHasInf ? kMaxMagnitude : kQuietNaN);
    // A float32 subnormal is below half the smallest subnormal of every format narrower in
    // exponent, so it rounds to zero.
    if (abs < 0x00800000u) return sign;
    const int exp = static_cast<int>(abs >> 23) - 127 + kBias;  // biased in the target format
    const uint32_t man = abs & 0x7fffffu;
    uint32_t enc;
    if (exp >= 1) {
      if (exp > static_cast<int>(kExpAllOnes)) return sign | kMaxMagnitude;
      // Rounding may carry into the exponent; the encoding stays monotonic, so a carry out of the
      // largest binade lands exactly on +inf (IEEE) or past the largest finite (FN, clamped below).
      enc = RoundShift((static_cast<uint32_t>(exp) << 23) | man, kDroppedBits);
    } else {
      const int shift = kDroppedBits + 1 - exp;
      if (shift >= 25) return sign;  // below half the smallest subnormal
      enc = RoundShift(man | 0x800000u, shift);
    }
    if (enc > kMaxMagnitude) enc = kMaxMagnitude;
    return sign | enc;
  }

  static constexpr float ToFloat(uint32_t v) {
    const uint32_t sign = (v & kSignBit) ? 0x80000000u : 0;
    const uint32_t exp = (v >> kManBits) & kExpAllOnes;
    const uint32_t man = v & kManMask;
    uint32_t bits;
    if (IsNaN(v)) {
      bits = 0x7fc00000u | (kHasInf ? man << kDroppedBits : 0);
    } else if (kHasInf && exp == kExpAllOnes) {
      bits = 0x7f800000u;
    } else if (exp != 0) {
      bits = ((exp - kBias + 127) << 23) | (man << kDroppedBits);
    } else if (man == 0) {
      bits = 0;
    } else {
      // Subnormal: man * 2^(1 - bias - kManBits), renormalised around its leading one at bit p.
      const int p = std::bit_width(man) - 1;
      bits = (static_cast<uint32_t>(p + 1 - kBias - kManBits + 127) << 23) |
             ((man - (1u << p)) << (23 - p));
    }
    return std::bit_cast<float>(sign | bits);
  }
};

using Float16Format = NarrowFloatFormat<5, 10, true>;
using Float8e4m3Format = NarrowFloatFormat<4, 3, false>;
using Float8e5m2Format = NarrowFloatFormat<5, 2, true>;

constexpr uint16_t Float32ToFloat16(float f) {
  return static_cast<uint16_t>(Float16Format::FromFloat(f));
}
constexpr float Float16ToFloat32(uint16_t h) { return Float16Format::ToFloat(h); }

// bfloat16 is float32's upper half, so rounding is one add on the bit pattern (float32 subnormals
// become bfloat16 subnormals, and a carry out of the largest binade lands on inf).
constexpr uint16_t Float32ToBfloat16(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  return static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}
constexpr float Bfloat16ToFloat32(uint16_t b) {
  return std::bit_cast<float>(static_cast<uint32_t>(b) << 16);
}

namespace internal {
template <typename Format>
constexpr std::array<float, 256> MakeFloat8Table() {
  std::array<float, 256> table{};
  for (uint32_t v = 0; v < 256; ++v) table[v] = Format::ToFloat(v);
  return table;
}
inline constexpr std::array<float, 256> kFloat8e4m3Table = MakeFloat8Table<Float8e4m3Format>();
inline constexpr std::array<float, 256> kFloat8e5m2Table = MakeFloat8Table<Float8e5m2Format>();
}  // namespace internal

constexpr uint8_t Float32ToFloat8e4m3(float f) {
  return static_cast<uint8_t>(Float8e4m3Format::FromFloat(f));
}
// Widening 8-bit values is a table lookup: cheaper than decoding in a reduction's inner loop.
inline float Float8e4m3ToFloat32(uint8_t v) { return internal::kFloat8e4m3Table[v]; }

constexpr uint8_t Float32ToFloat8e5m2(float f) {
  return static_cast<uint8_t>(Float8e5m2Format::FromFloat(f));
}
inline float Float8e5m2ToFloat32(uint8_t v) { return internal::kFloat8e5m2Table[v]; }

}  // namespace ultracc::collectives
