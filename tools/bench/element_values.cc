// Types, inputs and references of the benchmark's check; see element_values.h.
#include "tools/bench/element_values.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace ultracc::bench {
namespace {

// A narrow IEEE-style float: exponent and fraction widths, and whether the all-ones exponent means
// infinity/NaN (IEEE) or holds normal numbers with only all-ones as NaN (OCP "FN", E4M3).
struct NarrowFormat {
  int exp_bits;
  int man_bits;
  bool has_inf;
  int bias() const { return (1 << (exp_bits - 1)) - 1; }
};

constexpr NarrowFormat kHalf{5, 10, true};
constexpr NarrowFormat kBfloat16{8, 7, true};
constexpr NarrowFormat kE4m3{4, 3, false};
constexpr NarrowFormat kE5m2{5, 2, true};

double Decode(uint32_t bits, const NarrowFormat& f) {
  const uint32_t man_mask = (1u << f.man_bits) - 1;
  const uint32_t exp_all = (1u << f.exp_bits) - 1;
  const bool negative = (bits >> (f.exp_bits + f.man_bits)) & 1;
  const uint32_t exp = (bits >> f.man_bits) & exp_all;
  const uint32_t man = bits & man_mask;
  double value;
  if (exp == 0) {
    value = std::ldexp(static_cast<double>(man), 1 - f.bias() - f.man_bits);
  } else if (exp == exp_all && f.has_inf) {
    value = man == 0 ? std::numeric_limits<double>::infinity()
                     : std::numeric_limits<double>::quiet_NaN();
  } else if (exp == exp_all && man == man_mask) {
    value = std::numeric_limits<double>::quiet_NaN();
  } else {
    value = std::ldexp(1.0 + std::ldexp(static_cast<double>(man), -f.man_bits),
                       static_cast<int>(exp) - f.bias());
  }
  return negative ? -value : value;
}

// Rounds to nearest, ties to even (the default rounding mode of nearbyint).
uint32_t Encode(double x, const NarrowFormat& f) {
  const uint32_t sign = std::signbit(x) ? 1u << (f.exp_bits + f.man_bits) : 0;
  const uint32_t exp_all = (1u << f.exp_bits) - 1;
  const uint32_t largest =
      f.has_inf ? exp_all << f.man_bits : (exp_all << f.man_bits) | ((1u << f.man_bits) - 2);
  x = std::fabs(x);
  if (std::isnan(x)) return sign | (exp_all << f.man_bits) | ((1u << f.man_bits) - 1);
  if (x == 0) return sign;
  int e2 = 0;
  std::frexp(x, &e2);  // x = m * 2^e2, m in [0.5, 1)
  int field = e2 - 1 + f.bias();
  if (field <= 0) {  // subnormal
    double man = std::nearbyint(std::ldexp(x, f.bias() - 1 + f.man_bits));
    return sign | static_cast<uint32_t>(man);  // a carry into the exponent field is correct
  }
  double man = std::nearbyint(std::ldexp(x, f.man_bits - (e2 - 1))) - std::ldexp(1.0, f.man_bits);
  uint32_t bits = (static_cast<uint32_t>(field) << f.man_bits) + static_cast<uint32_t>(man);
  return sign | (bits > largest ? largest : bits);
}

const NarrowFormat* FormatOf(ultraccDataType_t type) {
  switch (type) {
    case ultraccFloat16:
      return &kHalf;
    case ultraccBfloat16:
      return &kBfloat16;
    case ultraccFloat8e4m3:
      return &kE4m3;
    case ultraccFloat8e5m2:
      return &kE5m2;
    default:
      return nullptr;
  }
}

bool IsSigned(ultraccDataType_t type) {
  return type == ultraccInt8 || type == ultraccInt32 || type == ultraccInt64;
}

// `v` reduced modulo 2^(8 * bytes), read back as the type's signed or unsigned value.
double WrapInteger(uint64_t v, const TypeInfo& type) {
  const int bits = static_cast<int>(type.bytes * 8);
  if (bits < 64) v &= (uint64_t{1} << bits) - 1;
  if (!IsSigned(type.type)) return static_cast<double>(v);
  if (bits < 64 && (v >> (bits - 1)) != 0) v |= ~uint64_t{0} << bits;
  return static_cast<double>(static_cast<int64_t>(v));
}

}  // namespace

const std::vector<TypeInfo>& AllTypes() {
  static const std::vector<TypeInfo> types = {
      {"int8", ultraccInt8, 1, false, 0},
      {"uint8", ultraccUint8, 1, false, 0},
      {"int32", ultraccInt32, 4, false, 0},
      {"uint32", ultraccUint32, 4, false, 0},
      {"int64", ultraccInt64, 8, false, 0},
      {"uint64", ultraccUint64, 8, false, 0},
      {"half", ultraccFloat16, 2, true, std::ldexp(1.0, -11)},
      {"float", ultraccFloat32, 4, true, std::ldexp(1.0, -24)},
      {"double", ultraccFloat64, 8, true, std::ldexp(1.0, -53)},
      {"bfloat16", ultraccBfloat16, 2, true, std::ldexp(1.0, -8)},
      {"f8e4m3", ultraccFloat8e4m3, 1, true, std::ldexp(1.0, -4)},
      {"f8e5m2", ultraccFloat8e5m2, 1, true, std::ldexp(1.0, -3)},
  };
  return types;
}

const TypeInfo* FindType(const std::string& name) {
  for (const TypeInfo& t : AllTypes()) {
    if (name == t.name) return &t;
  }
  return nullptr;
}

const std::vector<OpInfo>& AllOps() {
  static const std::vector<OpInfo> ops = {{"sum", ultraccSum},
                                          {"prod", ultraccProd},
                                          {"max", ultraccMax},
                                          {"min", ultraccMin},
                                          {"avg", ultraccAvg}};
  return ops;
}

const OpInfo* FindOp(const std::string& name) {
  for (const OpInfo& o : AllOps()) {
    if (name == o.name) return &o;
  }
  return nullptr;
}

double InputValue(int rank, size_t index, int nranks, ultraccRedOp_t op, const TypeInfo& type) {
  const size_t r = static_cast<size_t>(rank);
  switch (op) {
    case ultraccProd:  // one rank per element contributes 2 or 3: the product stays tiny
      return r == index % static_cast<size_t>(nranks) ? 1.0 + static_cast<double>(index % 3) : 1.0;
    case ultraccMax:
    case ultraccMin:
      return static_cast<double>((r * 5 + index * 3) % 7);
    default:  // sums stay exactly representable: 8-bit floats hold every integer up to 16 (e4m3)
      return static_cast<double>(type.bytes == 1 && type.is_float ? (r + index) % 2
                                                                  : (r * 3 + index) % 4);
  }
}

void StoreElement(void* buffer, size_t index, const TypeInfo& type, double value) {
  char* p = static_cast<char*>(buffer) + index * type.bytes;
  switch (type.type) {
    case ultraccInt8: {
      int8_t v = static_cast<int8_t>(value);
      std::memcpy(p, &v, 1);
      break;
    }
    case ultraccUint8: {
      uint8_t v = static_cast<uint8_t>(value);
      std::memcpy(p, &v, 1);
      break;
    }
    case ultraccInt32: {
      int32_t v = static_cast<int32_t>(value);
      std::memcpy(p, &v, 4);
      break;
    }
    case ultraccUint32: {
      uint32_t v = static_cast<uint32_t>(value);
      std::memcpy(p, &v, 4);
      break;
    }
    case ultraccInt64: {
      int64_t v = static_cast<int64_t>(value);
      std::memcpy(p, &v, 8);
      break;
    }
    case ultraccUint64: {
      uint64_t v = static_cast<uint64_t>(value);
      std::memcpy(p, &v, 8);
      break;
    }
    case ultraccFloat32: {
      float v = static_cast<float>(value);
      std::memcpy(p, &v, 4);
      break;
    }
    case ultraccFloat64:
      std::memcpy(p, &value, 8);
      break;
    default: {
      uint32_t bits = Encode(value, *FormatOf(type.type));
      if (type.bytes == 2) {
        uint16_t v = static_cast<uint16_t>(bits);
        std::memcpy(p, &v, 2);
      } else {
        uint8_t v = static_cast<uint8_t>(bits);
        std::memcpy(p, &v, 1);
      }
    }
  }
}

double LoadElement(const void* buffer, size_t index, const TypeInfo& type) {
  const char* p = static_cast<const char*>(buffer) + index * type.bytes;
  switch (type.type) {
    case ultraccInt8: {
      int8_t v;
      std::memcpy(&v, p, 1);
      return v;
    }
    case ultraccUint8: {
      uint8_t v;
      std::memcpy(&v, p, 1);
      return v;
    }
    case ultraccInt32: {
      int32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
    case ultraccUint32: {
      uint32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
    case ultraccInt64: {
      int64_t v;
      std::memcpy(&v, p, 8);
      return static_cast<double>(v);
    }
    case ultraccUint64: {
      uint64_t v;
      std::memcpy(&v, p, 8);
      return static_cast<double>(v);
    }
    case ultraccFloat32: {
      float v;
      std::memcpy(&v, p, 4);
      return v;
    }
    case ultraccFloat64: {
      double v;
      std::memcpy(&v, p, 8);
      return v;
    }
    default: {
      uint32_t bits = 0;
      if (type.bytes == 2) {
        uint16_t v;
        std::memcpy(&v, p, 2);
        bits = v;
      } else {
        uint8_t v;
        std::memcpy(&v, p, 1);
        bits = v;
      }
      return Decode(bits, *FormatOf(type.type));
    }
  }
}

void Poison(void* buffer, size_t count, const TypeInfo& type) {
  const bool is_unsigned = !type.is_float && !IsSigned(type.type);
  if (is_unsigned) {
    std::memset(buffer, 0xff, count * type.bytes);
    return;
  }
  for (size_t i = 0; i < count; ++i) StoreElement(buffer, i, type, -1.0);
}

double ReferenceReduce(const std::vector<double>& values, ultraccRedOp_t op, const TypeInfo& type) {
  const double n = static_cast<double>(values.size());
  if (op == ultraccMax || op == ultraccMin) {
    double r = values[0];
    for (double v : values) r = op == ultraccMax ? std::max(r, v) : std::min(r, v);
    return r;
  }
  if (type.is_float) {
    double r = op == ultraccProd ? 1.0 : 0.0;
    for (double v : values) r = op == ultraccProd ? r * v : r + v;
    return op == ultraccAvg ? r / n : r;
  }
  uint64_t r = op == ultraccProd ? 1 : 0;
  for (double v : values) {
    const uint64_t u = static_cast<uint64_t>(static_cast<int64_t>(v));
    r = op == ultraccProd ? r * u : r + u;
  }
  double wrapped = WrapInteger(r, type);
  if (op != ultraccAvg) return wrapped;
  if (IsSigned(type.type))
    return static_cast<double>(static_cast<int64_t>(wrapped) / static_cast<int64_t>(n));
  return static_cast<double>(static_cast<uint64_t>(wrapped) / static_cast<uint64_t>(n));
}

bool Matches(double got, double expected, const std::vector<double>& values, ultraccRedOp_t op,
             const TypeInfo& type) {
  if (got == expected) return true;
  if (!type.is_float || std::isnan(got) || std::isinf(got)) return false;
  // ultracc.h's bound: at most one rounding per step, at most nranks + 1 steps.
  const double u = type.unit_roundoff;
  const double steps = static_cast<double>(values.size()) + 1;
  double tolerance = u * std::fabs(expected);
  if (op == ultraccSum || op == ultraccAvg) {
    double magnitude = 0;
    for (double v : values) magnitude += std::fabs(v);
    tolerance += (std::pow(1 + u, steps) - 1) * magnitude;
  } else if (op == ultraccProd) {
    tolerance += (std::pow(1 + u, steps) - 1) * std::fabs(expected);
  }
  return std::fabs(got - expected) <= tolerance;
}

}  // namespace ultracc::bench
