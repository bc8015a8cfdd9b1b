/*
 * elements.c — element types, bit layouts and input values of collectives_check; see elements.h.
 */
#include "elements.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "inputs.h"

static const struct DtypeInfo kDtypes[NUM_DTYPES] = {
    {"int8", 1, 0, 1, 0, 0, 0, 0, 0, 0},
    {"uint8", 1, 0, 0, 0, 0, 0, 0, 0, 0},
    {"int32", 4, 0, 1, 0, 0, 0, 0, 0, 0},
    {"uint32", 4, 0, 0, 0, 0, 0, 0, 0, 0},
    {"int64", 8, 0, 1, 0, 0, 0, 0, 0, 0},
    {"uint64", 8, 0, 0, 0, 0, 0, 0, 0, 0},
    {"half", 2, 1, 1, 5, 10, 1, 1, 0x1p-11, 0x1p-24},
    {"float", 4, 1, 1, 8, 23, 1, 0, 0x1p-24, 0x1p-149},
    {"double", 8, 1, 1, 11, 52, 1, 0, 0x1p-53, 0x1p-1074},
    {"bfloat16", 2, 1, 1, 8, 7, 1, 1, 0x1p-8, 0x1p-133},
    {"f8e4m3", 1, 1, 1, 4, 3, 0, 1, 0x1p-4, 0x1p-9},
    {"f8e5m2", 1, 1, 1, 5, 2, 1, 1, 0x1p-3, 0x1p-16},
};

static const char* const kOpNames[NUM_OPS] = {"sum", "prod", "max", "min", "avg"};

const struct DtypeInfo* Dtype(int dtype) { return &kDtypes[dtype]; }
const char* OpName(int op) { return kOpNames[op]; }

int DtypeByName(const char* name) {
  for (int d = 0; d < NUM_DTYPES; ++d) {
    if (strcmp(kDtypes[d].name, name) == 0) return d;
  }
  return -1;
}

int OpByName(const char* name) {
  for (int o = 0; o < NUM_OPS; ++o) {
    if (strcmp(kOpNames[o], name) == 0) return o;
  }
  return -1;
}

uint64_t LoadBits(int dtype, const void* buf, size_t index) {
  const size_t size = kDtypes[dtype].size;
  uint64_t bits = 0;
  memcpy(&bits, (const char*)buf + index * size, size); /* little-endian hosts */
  return bits;
}

void StoreBits(int dtype, void* buf, size_t index, uint64_t bits) {
  const size_t size = kDtypes[dtype].size;
  memcpy((char*)buf + index * size, &bits, size);
}

int64_t AsInt64(int dtype, uint64_t bits) {
  const int width = (int)kDtypes[dtype].size * 8;
  if (width == 64) return (int64_t)bits;
  bits &= (UINT64_C(1) << width) - 1;
  if (kDtypes[dtype].is_signed && (bits >> (width - 1)) != 0) bits |= ~UINT64_C(0) << width;
  return (int64_t)bits;
}

double AsDouble(int dtype, uint64_t bits) {
  const struct DtypeInfo* t = &kDtypes[dtype];
  if (!t->is_float) return t->is_signed ? (double)AsInt64(dtype, bits) : (double)bits;
  const int e_bits = t->exp_bits, m_bits = t->man_bits;
  const uint64_t exp_all_ones = (UINT64_C(1) << e_bits) - 1;
  const uint64_t man_mask = (UINT64_C(1) << m_bits) - 1;
  const int bias = (1 << (e_bits - 1)) - 1;
  const int negative = (int)((bits >> (e_bits + m_bits)) & 1);
  const uint64_t exp = (bits >> m_bits) & exp_all_ones;
  const uint64_t man = bits & man_mask;
  double value;
  if (exp == exp_all_ones && t->has_inf) {
    value = man == 0 ? INFINITY : NAN;
  } else if (exp == exp_all_ones && man == man_mask) {
    value = NAN; /* the FN layout's only NaN */
  } else if (exp == 0) {
    value = ldexp((double)man, 1 - bias - m_bits);
  } else {
    value = ldexp((double)(man | (UINT64_C(1) << m_bits)), (int)exp - bias - m_bits);
  }
  return negative ? -value : value;
}

uint64_t InputBits(int dtype, int op, int rank, size_t index, uint32_t salt) {
  const uint64_t key = InputKey(rank, salt);
  const int prod = op == ultraccProd;
  uint64_t bits = 0;
#define INPUT_BITS(d) bits = InputAt(d, prod, key, index, NULL)
  DISPATCH_DTYPE(dtype, INPUT_BITS)
#undef INPUT_BITS
  return bits;
}

void FormatBits(int dtype, uint64_t bits, char* out, size_t out_size) {
  const struct DtypeInfo* t = &kDtypes[dtype];
  if (t->is_float) {
    snprintf(out, out_size, "%.17g", AsDouble(dtype, bits));
  } else if (t->is_signed) {
    snprintf(out, out_size, "%lld", (long long)AsInt64(dtype, bits));
  } else {
    snprintf(out, out_size, "%llu", (unsigned long long)AsInt64(dtype, bits));
  }
}
