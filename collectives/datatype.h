// Element types and reduction operators of collective operations, with their sizes and names.
//
// The numeric values equal the public C API's (NCCL's order), so the C layer converts by cast
// after checking the value with IsValidDataType / IsValidRedOp.
#pragma once

#include <cstddef>

#include "absl/strings/string_view.h"

namespace ultracc::collectives {

enum class DataType : int {
  kInt8 = 0,
  kUint8,
  kInt32,
  kUint32,
  kInt64,
  kUint64,
  kFloat16,
  kFloat32,
  kFloat64,
  kBfloat16,
  kFloat8e4m3,
  kFloat8e5m2,
};
inline constexpr int kNumDataTypes = 12;

// kAvg reduces as kSum; whoever owns the whole operation divides by the rank count at the end.
enum class RedOp : int { kSum = 0, kProd, kMax, kMin, kAvg };
inline constexpr int kNumRedOps = 5;

bool IsValidDataType(int value);
bool IsValidRedOp(int value);

// Bytes per element; 0 for an invalid value.
size_t DataTypeSize(DataType type);
// nccl-tests names ("float", "half", "bfloat16", "f8e4m3", ...); "invalid" for an invalid value.
absl::string_view DataTypeName(DataType type);
// "sum", "prod", "max", "min", "avg"; "invalid" for an invalid value.
absl::string_view RedOpName(RedOp op);

inline bool IsFloatingPoint(DataType type) {
  return type >= DataType::kFloat16 && type <= DataType::kFloat8e5m2;
}

}  // namespace ultracc::collectives
