// The reduction loops as templates, shared by the baseline, AVX2 and AVX-512 translation units of
// reduce_kernels (internal; include only from reduce_kernels*.cc).
//
// Every unit compiles these same templates for its instruction set. Everything here has internal
// linkage (anonymous namespace) and avoids std/absl templates and inline functions with external
// linkage in the loops (low_precision.h's conversions included: only its constants are used):
// otherwise the linker could merge an AVX2-compiled copy into the baseline path and fault on CPUs
// without AVX2.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#if defined(__F16C__)
#include <immintrin.h>
#endif

#include "collectives/datatype.h"
#include "collectives/low_precision.h"

namespace ultracc::collectives {
namespace internal {

// Defined in reduce_kernels_avx2.cc (built with -mavx2 -mf16c), for every type; false when the
// unit was built without those extensions.
bool ReduceIntoAvx2(DataType type, RedOp op, void* inout, const void* in, size_t count);
bool ReduceManyAvx2(DataType type, RedOp op, void* out, const void* const* ins, size_t num_ins,
                    size_t count);
bool DivideByAvx2(DataType type, void* inout, size_t count, int64_t divisor);
// The same loops built for AVX-512 (F, BW, DQ, VL) with 512-bit vectors preferred
// (reduce_kernels_avx512.cc).
bool ReduceIntoAvx512(DataType type, RedOp op, void* inout, const void* in, size_t count);
bool ReduceManyAvx512(DataType type, RedOp op, void* out, const void* const* ins, size_t num_ins,
                      size_t count);
bool DivideByAvx512(DataType type, void* inout, size_t count, int64_t divisor);

}  // namespace internal

namespace {

// A type stored and combined as itself.
template <typename T>
struct Native {
  using Storage = T;
  using Compute = T;
};

// Conversions of a narrow floating-point format to and from float32, written with selects instead
// of branches so that GCC vectorises the loops over them; they give low_precision.h's results bit
// for bit (reduce_kernels_test compares every narrow encoding and a sweep of float32 values).
// c ? a : b, kept to one conditional expression per select: GCC vectorises those, but neither
// branches nor arithmetic on bool values.
inline uint32_t Select(bool c, uint32_t a, uint32_t b) { return c ? a : b; }

template <typename Format, typename S>
struct NarrowBits {
  static constexpr int kManBits = 23 - Format::kDroppedBits;
  static constexpr int kSignShift = 31 - __builtin_ctz(Format::kSignBit);  // sign bit to bit 31
  // 2^(1 - bias - kManBits): the value of the lowest fraction bit of a subnormal.
  static constexpr float kSubnormalUnit =
      __builtin_bit_cast(float, static_cast<uint32_t>(127 + 1 - Format::kBias - kManBits) << 23);

  static float Widen(uint32_t v) {
    const uint32_t sign = (v & Format::kSignBit) << kSignShift;
    const uint32_t magnitude = v & (Format::kSignBit - 1);
    const uint32_t exp = magnitude >> kManBits;
    const uint32_t man = magnitude & Format::kManMask;
    const uint32_t normal = ((exp + 127 - Format::kBias) << 23) | (man << Format::kDroppedBits);
    const uint32_t subnormal =
        __builtin_bit_cast(uint32_t, static_cast<float>(static_cast<int32_t>(man)) * kSubnormalUnit);
    uint32_t bits = Select(exp == 0, subnormal, normal);
    if constexpr (Format::kHasInfinity) {
      const uint32_t special =
          Select(man == 0, 0x7f800000u, 0x7fc00000u | (man << Format::kDroppedBits));
      bits = Select(exp == Format::kExpAllOnes, special, bits);
    } else {
      bits = Select(magnitude == Format::kQuietNaN, 0x7fc00000u, bits);
    }
    return __builtin_bit_cast(float, sign | bits);
  }

  // x >> shift rounded to nearest, ties to even; shift in [1, 31].
  static uint32_t RoundShift(uint32_t x, uint32_t shift) {
    const uint32_t q = x >> shift, rest = x & ((1u << shift) - 1), half = 1u << (shift - 1);
    return q + Select(rest == half, q & 1u, Select(rest > half, 1u, 0u));
  }

  static S Narrow(float f) {
    const uint32_t bits = __builtin_bit_cast(uint32_t, f);
    const uint32_t sign = (bits >> 31) << (31 - kSignShift);
    const uint32_t abs = bits & 0x7fffffffu, man = abs & 0x7fffffu;
    const int32_t exp = static_cast<int32_t>(abs >> 23) - 127 + Format::kBias;  // target's bias
    const uint32_t normal =
        RoundShift((static_cast<uint32_t>(exp) << 23) | man, Format::kDroppedBits);
    // Below the target's normal range: shift the whole significand; past 25 places nothing is left
    // to round up, and 31 keeps the shift defined.
    const int32_t below = Format::kDroppedBits + 1 - exp;
    const uint32_t shift = Select(below < 1, 1u, Select(below > 31, 31u, static_cast<uint32_t>(below)));
    const uint32_t subnormal = RoundShift(man | 0x800000u, shift);
    uint32_t enc = Select(exp >= 1, normal, subnormal);
    enc = Select(exp > static_cast<int32_t>(Format::kExpAllOnes), Format::kMaxMagnitude, enc);
    enc = Select(enc > Format::kMaxMagnitude, Format::kMaxMagnitude, enc);
    enc = Select(abs < 0x00800000u, 0u, enc);  // float32 subnormals: below every target's half ulp
    if constexpr (Format::kHasInfinity) {
      enc = Select(abs > 0x7f800000u, Format::kQuietNaN | (man >> Format::kDroppedBits), enc);
    } else {
      enc = Select(abs >= 0x7f800000u, Format::kQuietNaN, enc);
    }
    return static_cast<S>(sign | enc);
  }
};

// A narrow floating-point type: stored as S, combined in float32, converted a block at a time.
template <typename Format, typename S>
struct NarrowFloat {
  using Storage = S;
  using Compute = float;
  static void WidenBlock(float* __restrict out, const S* __restrict in, size_t n) {
    for (size_t i = 0; i < n; ++i) out[i] = NarrowBits<Format, S>::Widen(in[i]);
  }
  static void NarrowBlock(S* __restrict out, const float* __restrict in, size_t n) {
    for (size_t i = 0; i < n; ++i) out[i] = NarrowBits<Format, S>::Narrow(in[i]);
  }
};

// IEEE half: F16C converts eight at a time where the unit is built for it, with the same rounding
// (nearest-even) and NaN handling (quieted, payload kept or truncated) as low_precision.h.
struct Half : NarrowFloat<Float16Format, uint16_t> {
#if defined(__F16C__)
  static void WidenBlock(float* __restrict out, const uint16_t* __restrict in, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
      _mm256_storeu_ps(out + i, _mm256_cvtph_ps(h));
    }
    NarrowFloat::WidenBlock(out + i, in + i, n - i);
  }
  static void NarrowBlock(uint16_t* __restrict out, const float* __restrict in, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
    }
    NarrowFloat::NarrowBlock(out + i, in + i, n - i);
  }
#endif
};

// bfloat16 is float32's upper half: widening is a shift, narrowing one rounding add.
struct Bfloat16 {
  using Storage = uint16_t;
  using Compute = float;
  static void WidenBlock(float* __restrict out, const uint16_t* __restrict in, size_t n) {
    for (size_t i = 0; i < n; ++i) out[i] = __builtin_bit_cast(float, uint32_t{in[i]} << 16);
  }
  static void NarrowBlock(uint16_t* __restrict out, const float* __restrict in, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      const uint32_t bits = __builtin_bit_cast(uint32_t, in[i]);
      const uint32_t rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
      const uint32_t quiet_nan = (bits >> 16) | 0x40u;
      out[i] = static_cast<uint16_t>((bits & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded);
    }
  }
};

using Float8e4m3 = NarrowFloat<Float8e4m3Format, uint8_t>;
using Float8e5m2 = NarrowFloat<Float8e5m2Format, uint8_t>;

// Signed integers combine in their unsigned counterpart: wrap-around instead of undefined
// behaviour, and the same machine code.
template <typename T>
struct WrappingOf {
  using type = T;
};
template <typename T>
  requires std::is_integral_v<T>
struct WrappingOf<T> {
  using type = std::make_unsigned_t<T>;
};
template <typename T>
using Wrapping = typename WrappingOf<T>::type;

struct SumOp {
  template <typename T>
  static T Apply(T a, T b) {
    return static_cast<T>(static_cast<Wrapping<T>>(a) + static_cast<Wrapping<T>>(b));
  }
};
struct ProdOp {
  template <typename T>
  static T Apply(T a, T b) {
    return static_cast<T>(static_cast<Wrapping<T>>(a) * static_cast<Wrapping<T>>(b));
  }
};
struct MaxOp {
  template <typename T>
  static T Apply(T a, T b) {
    return a < b ? b : a;
  }
};
struct MinOp {
  template <typename T>
  static T Apply(T a, T b) {
    return b < a ? b : a;
  }
};

// Elements per block of ReduceMany: the output block (or the float32 accumulators) stays in L1
// while every input streams through it once.
constexpr size_t kBlockElements = 4096;

template <typename T, typename Op>
void IntoLoop(T* __restrict inout, const T* __restrict in, size_t n) {
  for (size_t i = 0; i < n; ++i) inout[i] = Op::Apply(inout[i], in[i]);
}

template <typename T, typename Op>
void PairLoop(T* __restrict out, const T* __restrict a, const T* __restrict b, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = Op::Apply(a[i], b[i]);
}

// out = ins[0] op ... op ins[num_ins - 1]; num_ins >= 1; out may be ins[0].
template <typename E, typename Op>
void ReduceManyTyped(void* out_raw, const void* const* ins, size_t num_ins, size_t count) {
  using S = typename E::Storage;
  S* out = static_cast<S*>(out_raw);
  auto in = [&](size_t k) { return static_cast<const S*>(ins[k]); };
  if (num_ins == 1) {
    if (out != in(0)) std::memcpy(out, in(0), count * sizeof(S));
    return;
  }
  for (size_t lo = 0; lo < count; lo += kBlockElements) {
    const size_t n = count - lo < kBlockElements ? count - lo : kBlockElements;
    if constexpr (std::is_same_v<typename E::Compute, S>) {
      // `out` may be ins[0], which __restrict forbids in PairLoop, hence the in-place variant.
      if (out == in(0)) {
        IntoLoop<S, Op>(out + lo, in(1) + lo, n);
      } else {
        PairLoop<S, Op>(out + lo, in(0) + lo, in(1) + lo, n);
      }
      for (size_t k = 2; k < num_ins; ++k) IntoLoop<S, Op>(out + lo, in(k) + lo, n);
    } else {
      // Narrow types accumulate the block in float32 and round once at the end.
      float acc[kBlockElements], widened[kBlockElements];
      E::WidenBlock(acc, in(0) + lo, n);
      for (size_t k = 1; k < num_ins; ++k) {
        E::WidenBlock(widened, in(k) + lo, n);
        IntoLoop<float, Op>(acc, widened, n);
      }
      E::NarrowBlock(out + lo, acc, n);
    }
  }
}

// inout[i] /= divisor, in the compute type (see reduce_kernels.h).
template <typename E>
void DivideTyped(void* inout_raw, size_t count, int64_t divisor) {
  using S = typename E::Storage;
  using C = typename E::Compute;
  S* __restrict inout = static_cast<S*>(inout_raw);
  if constexpr (std::is_integral_v<C>) {
    // Divide in 64 bits: the divisor need not fit the element type (int8 data, 1000 ranks).
    using Wide = std::conditional_t<std::is_signed_v<C>, int64_t, uint64_t>;
    const Wide d = static_cast<Wide>(divisor);
    for (size_t i = 0; i < count; ++i) inout[i] = static_cast<S>(static_cast<Wide>(inout[i]) / d);
  } else if constexpr (std::is_same_v<C, S>) {
    const C d = static_cast<C>(divisor);
    for (size_t i = 0; i < count; ++i) inout[i] = inout[i] / d;
  } else {
    const float d = static_cast<float>(divisor);
    float block[kBlockElements];
    for (size_t lo = 0; lo < count; lo += kBlockElements) {
      const size_t n = count - lo < kBlockElements ? count - lo : kBlockElements;
      E::WidenBlock(block, inout + lo, n);
      for (size_t i = 0; i < n; ++i) block[i] /= d;
      E::NarrowBlock(inout + lo, block, n);
    }
  }
}

template <typename Fn>
void WithOp(RedOp op, Fn&& fn) {
  switch (op) {
    case RedOp::kSum:
    case RedOp::kAvg:
      return fn(SumOp{});
    case RedOp::kProd:
      return fn(ProdOp{});
    case RedOp::kMax:
      return fn(MaxOp{});
    case RedOp::kMin:
      return fn(MinOp{});
  }
}

// Calls fn(E{}) with the element description of `type`.
template <typename Fn>
void WithElement(DataType type, Fn&& fn) {
  switch (type) {
    case DataType::kInt8:
      return fn(Native<int8_t>{});
    case DataType::kUint8:
      return fn(Native<uint8_t>{});
    case DataType::kInt32:
      return fn(Native<int32_t>{});
    case DataType::kUint32:
      return fn(Native<uint32_t>{});
    case DataType::kInt64:
      return fn(Native<int64_t>{});
    case DataType::kUint64:
      return fn(Native<uint64_t>{});
    case DataType::kFloat32:
      return fn(Native<float>{});
    case DataType::kFloat64:
      return fn(Native<double>{});
    case DataType::kFloat16:
      return fn(Half{});
    case DataType::kBfloat16:
      return fn(Bfloat16{});
    case DataType::kFloat8e4m3:
      return fn(Float8e4m3{});
    case DataType::kFloat8e5m2:
      return fn(Float8e5m2{});
  }
}

// The dispatch every unit shares. ReduceInto is ReduceMany over (inout, in) into inout.
inline void ReduceManyAny(DataType type, RedOp op, void* out, const void* const* ins,
                          size_t num_ins, size_t count) {
  WithElement(type, [&](auto element) {
    WithOp(op, [&](auto reduce) {
      ReduceManyTyped<decltype(element), decltype(reduce)>(out, ins, num_ins, count);
    });
  });
}

inline void ReduceIntoAny(DataType type, RedOp op, void* inout, const void* in, size_t count) {
  const void* const ins[2] = {inout, in};
  ReduceManyAny(type, op, inout, ins, 2, count);
}

inline void DivideAny(DataType type, void* inout, size_t count, int64_t divisor) {
  WithElement(type, [&](auto element) { DivideTyped<decltype(element)>(inout, count, divisor); });
}

}  // namespace
}  // namespace ultracc::collectives
