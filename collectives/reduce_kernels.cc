// Runtime dispatch of the reduction loops (reduce_loops.h) to the widest build of them the CPU
// runs: AVX-512, AVX2 (with F16C), or the baseline build here.
#include "collectives/reduce_kernels.h"

#include "collectives/reduce_loops.h"

namespace ultracc::collectives {
namespace {

// The widest vector extension the CPU offers among those the loops are built for.
enum class Simd { kBaseline, kAvx2, kAvx512 };
Simd CpuSimd() {
#if defined(__x86_64__) || defined(__i386__)
  // __builtin_cpu_init makes the query safe even when first called from a static constructor.
  static const Simd simd = [] {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("f16c")) return Simd::kBaseline;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
      return Simd::kAvx512;
    }
    return Simd::kAvx2;
  }();
  return simd;
#else
  return Simd::kBaseline;
#endif
}

}  // namespace

void ReduceInto(DataType type, RedOp op, void* inout, const void* in, size_t count) {
  if (count == 0) return;
  const Simd simd = CpuSimd();
  if (simd == Simd::kAvx512 && internal::ReduceIntoAvx512(type, op, inout, in, count)) return;
  if (simd >= Simd::kAvx2 && internal::ReduceIntoAvx2(type, op, inout, in, count)) return;
  ReduceIntoAny(type, op, inout, in, count);
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
  ReduceManyAny(type, op, out, ins.data(), ins.size(), count);
}

void DivideBy(DataType type, void* inout, size_t count, int64_t divisor) {
  if (count == 0) return;
  const Simd simd = CpuSimd();
  if (simd == Simd::kAvx512 && internal::DivideByAvx512(type, inout, count, divisor)) return;
  if (simd >= Simd::kAvx2 && internal::DivideByAvx2(type, inout, count, divisor)) return;
  DivideAny(type, inout, count, divisor);
}

}  // namespace ultracc::collectives
