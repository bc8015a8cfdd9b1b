// Element-wise reduction kernels for every DataType x RedOp, on host memory.
//
// Numerics:
//  - Integers: Sum and Prod wrap around (two's complement), like NCCL; Max/Min are exact.
//  - float32/float64 compute in their own type, inputs combined left to right.
//  - half, bfloat16 and both float8 formats widen to float32, combine, and round once per call
//    (per element), so one ReduceMany over k inputs rounds once, not k - 1 times. A multi-step
//    algorithm still rounds once per step, which callers' error bounds must count.
//  - kAvg reduces as kSum; the owner of the whole operation calls DivideBy once at the end.
//  - Max/Min select with one `<` (`a < b ? b : a`), the form that vectorises to maxps/minps, so with
//    a NaN operand the winner depends on operand order: NaN is not guaranteed to propagate.
//
// The loops are plain indexed loops over __restrict pointers, templated per type and op, so GCC
// vectorises them for every type, the narrow formats' conversions included (branch-free; F16C for
// half); they are built for baseline x86-64, AVX2 and AVX-512 and picked at run time.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "collectives/datatype.h"

namespace ultracc::collectives {

// inout[i] = inout[i] op in[i] for i < count. `inout` and `in` must not overlap.
void ReduceInto(DataType type, RedOp op, void* inout, const void* in, size_t count);

// out[i] = ins[0][i] op ins[1][i] op ... for i < count. `out` may be exactly ins[0] (in place) but
// must not otherwise overlap any input. Works block by block (a few KiB) so that each input is read
// from memory once and `out` written once whatever the number of inputs. With one input it copies;
// with none it does nothing.
void ReduceMany(DataType type, RedOp op, void* out, absl::Span<const void* const> ins,
                size_t count);

// ReduceMany of `ins` taken as runs of `group` consecutive inputs (the ranks of one node): each
// run is reduced on its own, then the runs' results, block by block through a scratch that stays
// in cache, so each input is still read once and `out` written once. A float32/float64 sum then
// rounds each input at most (group - 1) + (runs - 1) times, the bound of an engine that reduces
// within each node and then across nodes; every other type and op (and group <= 1 or >= the
// inputs) reduces as one ReduceMany. `out` may be exactly one of the inputs (in place) but must
// not otherwise overlap any.
void ReduceInGroups(DataType type, RedOp op, void* out, absl::Span<const void* const> ins,
                    size_t count, size_t group);

// inout[i] /= divisor, for kAvg. Integers truncate toward zero (as NCCL); floating types divide in
// their compute type (float32 for the narrow ones) and round once. `divisor` must be > 0.
void DivideBy(DataType type, void* inout, size_t count, int64_t divisor);

}  // namespace ultracc::collectives
