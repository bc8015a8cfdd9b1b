// Runtime dispatch of the reduction loops (reduce_loops.h) to the widest build of them the CPU
// runs: AVX-512, AVX2 (with F16C), or the baseline build here.
#include "collectives/reduce_kernels.h"

#include <algorithm>
#include <vector>

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

void ReduceInGroups(DataType type, RedOp op, void* out, absl::Span<const void* const> ins,
                    size_t count, size_t group) {
  if (ins.empty() || count == 0) return;
  const bool wide_sum =
      op == RedOp::kSum && (type == DataType::kFloat32 || type == DataType::kFloat64);
  if (!wide_sum || group <= 1 || group >= ins.size()) {
    // ReduceMany reduces in place only into its first input: a later one that `out` is moves
    // first (a copy of the list only then).
    auto aliased = std::find(ins.begin() + 1, ins.end(), out);
    if (aliased == ins.end()) return ReduceMany(type, op, out, ins, count);
    std::vector<const void*> ordered(ins.begin(), ins.end());
    std::rotate(ordered.begin(), ordered.begin() + (aliased - ins.begin()),
                ordered.begin() + (aliased - ins.begin()) + 1);
    return ReduceMany(type, op, out, ordered, count);
  }
  // Blocks small enough that every run's partial stays in the first cache levels.
  constexpr size_t kBlockBytes = size_t{16} << 10;
  const size_t element = DataTypeSize(type);
  const size_t block = kBlockBytes / element;
  const size_t runs = (ins.size() + group - 1) / group;
  std::vector<char> scratch(runs * kBlockBytes);
  std::vector<const void*> run_ins, partials(runs);
  for (size_t r = 0; r < runs; ++r) partials[r] = scratch.data() + r * kBlockBytes;
  for (size_t first = 0; first < count; first += block) {
    const size_t n = std::min(block, count - first);
    const size_t offset = first * element;
    for (size_t r = 0; r < runs; ++r) {
      run_ins.clear();
      for (size_t i = r * group; i < std::min(ins.size(), (r + 1) * group); ++i) {
        run_ins.push_back(static_cast<const char*>(ins[i]) + offset);
      }
      ReduceMany(type, op, scratch.data() + r * kBlockBytes, run_ins, n);
    }
    // Every input's block was read above, so `out` may be one of them.
    ReduceMany(type, op, static_cast<char*>(out) + offset, partials, n);
  }
}

void DivideBy(DataType type, void* inout, size_t count, int64_t divisor) {
  if (count == 0) return;
  const Simd simd = CpuSimd();
  if (simd == Simd::kAvx512 && internal::DivideByAvx512(type, inout, count, divisor)) return;
  if (simd >= Simd::kAvx2 && internal::DivideByAvx2(type, inout, count, divisor)) return;
  DivideAny(type, inout, count, divisor);
}

}  // namespace ultracc::collectives
