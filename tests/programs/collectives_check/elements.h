/*
 * elements.h — element types as collectives_check sees them: names, sizes, the bit layout of each
 * floating format, and the input every rank holds at every index. Any rank can regenerate any
 * other rank's input from (rank, index, dtype, op, case), so references need no communication.
 */
#ifndef COLLECTIVES_CHECK_ELEMENTS_H_
#define COLLECTIVES_CHECK_ELEMENTS_H_

#include <stddef.h>
#include <stdint.h>

#include "ultracc.h"

#define NUM_DTYPES 12
#define NUM_OPS 5

struct DtypeInfo {
  const char* name;
  size_t size;
  int is_float;
  int is_signed; /* integers */
  int exp_bits;  /* floats: IEEE-style layout */
  int man_bits;
  int has_inf; /* 0 for float8 e4m3 (FN: no infinities) */
  int narrow;  /* reduced in float32 and rounded once per step */
  double unit_roundoff;
  double smallest_subnormal;
};

const struct DtypeInfo* Dtype(int dtype);
const char* OpName(int op);
/* Index of a dtype or op name ("float", "sum", ...), or -1. */
int DtypeByName(const char* name);
int OpByName(const char* name);

/* Raw bits of element `index` of `buf`, and the reverse. */
uint64_t LoadBits(int dtype, const void* buf, size_t index);
void StoreBits(int dtype, void* buf, size_t index, uint64_t bits);

/* Integers: the bits sign-extended (signed types) to 64. Floats: the exact value. */
int64_t AsInt64(int dtype, uint64_t bits);
double AsDouble(int dtype, uint64_t bits);

/* Input of rank `rank` at `index` for a case numbered `salt`; see inputs.h. */
uint64_t InputBits(int dtype, int op, int rank, size_t index, uint32_t salt);

/* "123", "-4", "1.25" — for messages; `out` holds at least 40 bytes. */
void FormatBits(int dtype, uint64_t bits, char* out, size_t out_size);

#endif /* COLLECTIVES_CHECK_ELEMENTS_H_ */
