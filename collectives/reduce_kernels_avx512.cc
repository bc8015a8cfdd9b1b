// The native-type reduction loops compiled for AVX-512 (this file alone is built with -mavx512f
// -mavx512bw -mavx512dq -mavx512vl; see CMakeLists.txt). 512-bit vectors are preferred here: the
// loops stream through memory, where the wider registers halve the instruction count.
// reduce_kernels.cc calls these only when the CPU reports all four extensions.
#include "collectives/reduce_loops.h"

namespace ultracc::collectives::internal {

#if defined(__AVX512F__) && defined(__AVX512BW__)
bool ReduceIntoAvx512(DataType type, RedOp op, void* inout, const void* in, size_t count) {
  return ReduceIntoNative(type, op, inout, in, count);
}

bool ReduceManyAvx512(DataType type, RedOp op, void* out, const void* const* ins, size_t num_ins,
                      size_t count) {
  return ReduceManyNative(type, op, out, ins, num_ins, count);
}
#else
// Built without AVX-512 (another compiler or architecture): the other loops serve every CPU.
bool ReduceIntoAvx512(DataType, RedOp, void*, const void*, size_t) { return false; }
bool ReduceManyAvx512(DataType, RedOp, void*, const void* const*, size_t, size_t) { return false; }
#endif

}  // namespace ultracc::collectives::internal
