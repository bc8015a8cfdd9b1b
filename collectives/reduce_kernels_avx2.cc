// The reduction loops compiled for AVX2 and F16C (this file alone is built with -mavx2 -mf16c; see
// CMakeLists.txt). With 256-bit vectors GCC also vectorises int64 max/min/prod and the narrow
// formats' conversions, which baseline x86-64 (SSE2) cannot. reduce_kernels.cc calls these only
// when the CPU reports AVX2 and F16C.
#include "collectives/reduce_loops.h"

namespace ultracc::collectives::internal {

#if defined(__AVX2__) && defined(__F16C__)
bool ReduceIntoAvx2(DataType type, RedOp op, void* inout, const void* in, size_t count) {
  ReduceIntoAny(type, op, inout, in, count);
  return true;
}

bool ReduceManyAvx2(DataType type, RedOp op, void* out, const void* const* ins, size_t num_ins,
                    size_t count) {
  ReduceManyAny(type, op, out, ins, num_ins, count);
  return true;
}

bool DivideByAvx2(DataType type, void* inout, size_t count, int64_t divisor) {
  DivideAny(type, inout, count, divisor);
  return true;
}
#else
// Built without -mavx2 (another compiler or architecture): the baseline loops serve every CPU.
bool ReduceIntoAvx2(DataType, RedOp, void*, const void*, size_t) { return false; }
bool ReduceManyAvx2(DataType, RedOp, void*, const void* const*, size_t, size_t) { return false; }
bool DivideByAvx2(DataType, void*, size_t, int64_t) { return false; }
#endif

}  // namespace ultracc::collectives::internal
