// The native-type reduction loops compiled for AVX2 (this file alone is built with -mavx2; see
// CMakeLists.txt). With 256-bit vectors GCC also vectorises int64 max/min/prod, which baseline
// x86-64 (SSE2) cannot. reduce_kernels.cc calls these only when the CPU reports AVX2.
#include "collectives/reduce_loops.h"

namespace ultracc::collectives::internal {

#if defined(__AVX2__)
bool ReduceIntoAvx2(DataType type, RedOp op, void* inout, const void* in, size_t count) {
  return ReduceIntoNative(type, op, inout, in, count);
}

bool ReduceManyAvx2(DataType type, RedOp op, void* out, const void* const* ins, size_t num_ins,
                    size_t count) {
  return ReduceManyNative(type, op, out, ins, num_ins, count);
}
#else
// Built without -mavx2 (another compiler or architecture): the baseline loops serve every CPU.
bool ReduceIntoAvx2(DataType, RedOp, void*, const void*, size_t) { return false; }
bool ReduceManyAvx2(DataType, RedOp, void*, const void* const*, size_t, size_t) { return false; }
#endif

}  // namespace ultracc::collectives::internal
