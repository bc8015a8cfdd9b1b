// The reduction loops compiled for AVX-512 (this file alone is built with -mavx512f -mavx512bw
// -mavx512dq -mavx512vl -mf16c; see CMakeLists.txt). 512-bit vectors are preferred here: the loops
// stream through memory, where the wider registers halve the instruction count. reduce_kernels.cc
// calls these only when the CPU reports all four extensions (and AVX2 with F16C).
#include "collectives/reduce_loops.h"

namespace ultracc::collectives::internal {

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__F16C__)
bool ReduceIntoAvx512(DataType type, RedOp op, void* inout, const void* in, size_t count) {
  ReduceIntoAny(type, op, inout, in, count);
  return true;
}

bool ReduceManyAvx512(DataType type, RedOp op, void* out, const void* const* ins, size_t num_ins,
                      size_t count) {
  ReduceManyAny(type, op, out, ins, num_ins, count);
  return true;
}

bool DivideByAvx512(DataType type, void* inout, size_t count, int64_t divisor) {
  DivideAny(type, inout, count, divisor);
  return true;
}
#else
// Built without AVX-512 (another compiler or architecture): the other loops serve every CPU.
bool ReduceIntoAvx512(DataType, RedOp, void*, const void*, size_t) { return false; }
bool ReduceManyAvx512(DataType, RedOp, void*, const void* const*, size_t, size_t) { return false; }
bool DivideByAvx512(DataType, void*, size_t, int64_t) { return false; }
#endif

}  // namespace ultracc::collectives::internal
