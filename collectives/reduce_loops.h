// The reduction loops as templates, shared by the baseline and the AVX2 translation units of
// reduce_kernels (internal; include only from reduce_kernels*.cc).
//
// Both units compile these same templates for different instruction sets. Everything here has
// internal linkage (anonymous namespace) and avoids std/absl templates with external linkage in the
// loops: otherwise the linker could merge an AVX2-compiled copy into the baseline path and fault on
// CPUs without AVX2.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "collectives/datatype.h"

namespace ultracc::collectives {
namespace internal {

// Defined in reduce_kernels_avx2.cc (built with -mavx2). They handle the native types (integers,
// float32, float64) and return false, doing nothing, for the narrow floating-point ones.
bool ReduceIntoAvx2(DataType type, RedOp op, void* inout, const void* in, size_t count);
bool ReduceManyAvx2(DataType type, RedOp op, void* out, const void* const* ins, size_t num_ins,
                    size_t count);
// The same loops built for AVX-512 (F, BW, DQ, VL) with 512-bit vectors preferred
// (reduce_kernels_avx512.cc).
bool ReduceIntoAvx512(DataType type, RedOp op, void* inout, const void* in, size_t count);
bool ReduceManyAvx512(DataType type, RedOp op, void* out, const void* const* ins, size_t num_ins,
                      size_t count);

}  // namespace internal

namespace {

// How an element is stored and in which type it is combined.
template <typename T>
struct Native {
  using Storage = T;
  using Compute = T;
  static T Load(T v) { return v; }
  static T Store(T v) { return v; }
};

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

// Elements per block of ReduceMany: the output block (or float32 accumulator) stays in L1 while
// every input streams through it once.
constexpr size_t kBlockElements = 4096;

template <typename E, typename Op>
void IntoLoop(typename E::Storage* __restrict inout, const typename E::Storage* __restrict in,
              size_t n) {
  for (size_t i = 0; i < n; ++i) {
    inout[i] = E::Store(Op::Apply(E::Load(inout[i]), E::Load(in[i])));
  }
}

template <typename E, typename Op>
void PairLoop(typename E::Storage* __restrict out, const typename E::Storage* __restrict a,
              const typename E::Storage* __restrict b, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = E::Store(Op::Apply(E::Load(a[i]), E::Load(b[i])));
}

template <typename E>
void WidenLoop(float* __restrict acc, const typename E::Storage* __restrict in, size_t n) {
  for (size_t i = 0; i < n; ++i) acc[i] = E::Load(in[i]);
}

template <typename E, typename Op>
void AccumulateLoop(float* __restrict acc, const typename E::Storage* __restrict in, size_t n) {
  for (size_t i = 0; i < n; ++i) acc[i] = Op::Apply(acc[i], E::Load(in[i]));
}

template <typename E>
void NarrowLoop(typename E::Storage* __restrict out, const float* __restrict acc, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = E::Store(acc[i]);
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
        IntoLoop<E, Op>(out + lo, in(1) + lo, n);
      } else {
        PairLoop<E, Op>(out + lo, in(0) + lo, in(1) + lo, n);
      }
      for (size_t k = 2; k < num_ins; ++k) IntoLoop<E, Op>(out + lo, in(k) + lo, n);
    } else {
      // Narrow types accumulate the block in float32 and round once at the end.
      float acc[kBlockElements];
      WidenLoop<E>(acc, in(0) + lo, n);
      for (size_t k = 1; k < num_ins; ++k) AccumulateLoop<E, Op>(acc, in(k) + lo, n);
      NarrowLoop<E>(out + lo, acc, n);
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

// Calls fn(Native<T>{}) for the native types; returns false for the narrow floating-point ones.
template <typename Fn>
bool WithNativeElement(DataType type, Fn&& fn) {
  switch (type) {
    case DataType::kInt8:
      return fn(Native<int8_t>{}), true;
    case DataType::kUint8:
      return fn(Native<uint8_t>{}), true;
    case DataType::kInt32:
      return fn(Native<int32_t>{}), true;
    case DataType::kUint32:
      return fn(Native<uint32_t>{}), true;
    case DataType::kInt64:
      return fn(Native<int64_t>{}), true;
    case DataType::kUint64:
      return fn(Native<uint64_t>{}), true;
    case DataType::kFloat32:
      return fn(Native<float>{}), true;
    case DataType::kFloat64:
      return fn(Native<double>{}), true;
    default:
      return false;
  }
}

// The dispatch both units share: runs the typed loops for the native types.
inline bool ReduceIntoNative(DataType type, RedOp op, void* inout, const void* in, size_t count) {
  return WithNativeElement(type, [&](auto element) {
    WithOp(op, [&](auto reduce) {
      using E = decltype(element);
      using S = typename E::Storage;
      IntoLoop<E, decltype(reduce)>(static_cast<S*>(inout), static_cast<const S*>(in), count);
    });
  });
}

inline bool ReduceManyNative(DataType type, RedOp op, void* out, const void* const* ins,
                             size_t num_ins, size_t count) {
  return WithNativeElement(type, [&](auto element) {
    WithOp(op, [&](auto reduce) {
      ReduceManyTyped<decltype(element), decltype(reduce)>(out, ins, num_ins, count);
    });
  });
}

}  // namespace
}  // namespace ultracc::collectives
