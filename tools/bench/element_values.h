// The benchmark's data: the element types it sweeps (nccl-tests names), the deterministic input
// every rank writes, and the reference result a check compares against.
//
// The reference is computed here, independently of the library: inputs are small integers, so
// sums, products, maxima and minima are exact in every type, and a tolerance derived from the
// rounding bound ultracc.h documents covers averages and the narrow float formats.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ultracc.h"

namespace ultracc::bench {

struct TypeInfo {
  const char* name;  // nccl-tests name: "float", "bfloat16", "f8e4m3", ...
  ultraccDataType_t type;
  size_t bytes;
  bool is_float;
  double unit_roundoff;  // 0 for integer types
};

// Every type, in ultraccDataType_t order.
const std::vector<TypeInfo>& AllTypes();
// nullptr when `name` is not one of them.
const TypeInfo* FindType(const std::string& name);

struct OpInfo {
  const char* name;  // "sum", "prod", "max", "min", "avg"
  ultraccRedOp_t op;
};
const std::vector<OpInfo>& AllOps();
const OpInfo* FindOp(const std::string& name);

// The value rank `rank` of `nranks` writes at element `index` of its input, for reduction `op`
// (non-reducing collectives use kSum's values). Always a small non-negative integer.
double InputValue(int rank, size_t index, int nranks, ultraccRedOp_t op, const TypeInfo& type);

// Writes / reads element `index` of `buffer` as a double.
void StoreElement(void* buffer, size_t index, const TypeInfo& type, double value);
double LoadElement(const void* buffer, size_t index, const TypeInfo& type);
// Fills `count` elements with a value no input takes (so stale output shows as wrong).
void Poison(void* buffer, size_t count, const TypeInfo& type);

// The reduction of `values` with `op` as the library defines it for `type` (integer sum and product
// wrap at the type's width; integer avg truncates).
double ReferenceReduce(const std::vector<double>& values, ultraccRedOp_t op, const TypeInfo& type);
// Whether `got` is an acceptable result for reference `expected` of a reduction over `values`.
bool Matches(double got, double expected, const std::vector<double>& values, ultraccRedOp_t op,
             const TypeInfo& type);

}  // namespace ultracc::bench
