// Runtime dispatch of the reduction loops (reduce_loops.h): native types go to the AVX2 build of
// the loops when the CPU has it, otherwise to the baseline build here; narrow floating-point types
// (widened to float32, rounded once) always run here.
#include "collectives/reduce_kernels.h"

#include <type_traits>

#include "collectives/low_precision.h"
#include "collectives/reduce_loops.h"

namespace ultracc::collectives {
namespace {

template <typename S, float (*kWiden)(S), S (*kNarrow)(float)>
struct Narrow {
  using Storage = S;
  using Compute = float;
  static float Load(S v) { return kWiden(v); }
  static S Store(float f) { return kNarrow(f); }
};
using Half = Narrow<uint16_t, Float16ToFloat32, Float32ToFloat16>;
using Bfloat16 = Narrow<uint16_t, Bfloat16ToFloat32, Float32ToBfloat16>;
using Float8e4m3 = Narrow<uint8_t, Float8e4m3ToFloat32, Float32ToFloat8e4m3>;
using Float8e5m2 = Narrow<uint8_t, Float8e5m2ToFloat32, Float32ToFloat8e5m2>;

template <typename Fn>
void WithElement(DataType type, Fn&& fn) {
  if (WithNativeElement(type, fn)) return;
  switch (type) {
    case DataType::kFloat16:
      return fn(Half{});
    case DataType::kBfloat16:
      return fn(Bfloat16{});
    case DataType::kFloat8e4m3:
      return fn(Float8e4m3{});
    case DataType::kFloat8e5m2:
      return fn(Float8e5m2{});
    default:
      return;
  }
}

// The widest vector extension the CPU offers among those the loops are built for.
enum class Simd { kBaseline, kAvx2, kAvx512 };
Simd CpuSimd() {
#if defined(__x86_64__) || defined(__i386__)
  // __builtin_cpu_init makes the query safe even when first called from a static constructor.
  static const Simd simd = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
      return Simd::kAvx512;
    }
    return __builtin_cpu_supports("avx2") ? Simd::kAvx2 : Simd::kBaseline;
  }();
  return simd;
#else
  return Simd::kBaseline;
#endif
}

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
  } else {
    const C d = static_cast<C>(divisor);
    for (size_t i = 0; i < count; ++i) inout[i] = E::Store(E::Load(inout[i]) / d);
  }
}

}  // namespace

void ReduceInto(DataType type, RedOp op, void* inout, const void* in, size_t count) {
  if (count == 0) return;
  const Simd simd = CpuSimd();
  if (simd == Simd::kAvx512 && internal::ReduceIntoAvx512(type, op, inout, in, count)) return;
  if (simd >= Simd::kAvx2 && internal::ReduceIntoAvx2(type, op, inout, in, count)) return;
  WithElement(type, [&](auto element) {
    WithOp(op, [&](auto reduce) {
      using E = decltype(element);
      using S = typename E::Storage;
      IntoLoop<E, decltype(reduce)>(static_cast<S*>(inout), static_cast<const S*>(in), count);
    });
  });
}

void ReduceMany(DataType type, RedOp op, void* out, absl::Span<const void* const> ins,
                size_t count) {
  if (ins.empty() || count == 0) return;
  const Simd simd = CpuSimd();
  if (simd == Simd::kAvx512 &&
      internal::ReduceManyAvx512(type, op, out, ins.data(), ins.size(), count)) {
    return;
  }
  if (simd >= Simd::kAvx2 &&
      internal::ReduceManyAvx2(type, op, out, ins.data(), ins.size(), count)) {
    return;
  }
  WithElement(type, [&](auto element) {
    WithOp(op, [&](auto reduce) {
      ReduceManyTyped<decltype(element), decltype(reduce)>(out, ins.data(), ins.size(), count);
    });
  });
}

void DivideBy(DataType type, void* inout, size_t count, int64_t divisor) {
  WithElement(type, [&](auto element) { DivideTyped<decltype(element)>(inout, count, divisor); });
}

}  // namespace ultracc::collectives
