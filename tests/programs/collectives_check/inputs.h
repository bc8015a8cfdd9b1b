/*
 * inputs.h — the input every rank holds at every index, as inline functions of
 * a dtype and op that the loops of ranges.c receive as constants, so that each
 * loop compiles for one dtype with no per-element dispatch. Any rank can
 * regenerate any other rank's input from (rank, index, case), so references
 * need no communication.
 *
 * Products get factors in {0.75, ..., 2} (floats) or [-4, 4] (integers) so they
 * neither overflow the narrow formats nor vanish; everything else gets
 * full-width random integers, or floats
 * +-(1 + m) * 2^e with e in [-2, 3] and at most 20 (float32) or 40 (float64)
 * mantissa bits, so that the exact sum of up to 8 ranks is a double and the
 * error bound is the only tolerance.
 */
#ifndef COLLECTIVES_CHECK_INPUTS_H_
#define COLLECTIVES_CHECK_INPUTS_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ultracc.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* The layouts of ultraccDataType_t in enum order, as constants the compiler can
 * fold. */
ALWAYS_INLINE int KSize(int d) {
  return d <= 1 ? 1 : d <= 3 ? 4 : d <= 5 ? 8 : (int)((0x112842u >> (4 * (d - 6))) & 15);
}
ALWAYS_INLINE int KIsFloat(int d) { return d >= ultraccFloat16; }
ALWAYS_INLINE int KIsSigned(int d) { return d >= ultraccFloat16 || d % 2 == 0; }
ALWAYS_INLINE int KExpBits(int d) {
  static const int kBits[12] = {0, 0, 0, 0, 0, 0, 5, 8, 11, 8, 4, 5};
  return kBits[d];
}
ALWAYS_INLINE int KManBits(int d) {
  static const int kBits[12] = {0, 0, 0, 0, 0, 0, 10, 23, 52, 7, 3, 2};
  return kBits[d];
}
/* Random mantissa bits of a sum input: few enough that sums of 8 stay exact in
 * a double. */
ALWAYS_INLINE int KFracBits(int d) {
  return d == ultraccFloat32 ? 20 : d == ultraccFloat64 ? 40 : KManBits(d);
}

/* splitmix64's finaliser */
ALWAYS_INLINE uint64_t MixBits(uint64_t x) {
  x += UINT64_C(0x9e3779b97f4a7c15);
  x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
  return x ^ (x >> 31);
}

/* The bits of element `index` of a stream: one multiply and shift, since `key` is mixed already
 * and filling inputs is most of a large case's checking. */
ALWAYS_INLINE uint64_t MixIndex(uint64_t key, size_t index) {
  const uint64_t x = (key ^ (uint64_t)index) * UINT64_C(0xbf58476d1ce4e5b9);
  return x ^ (x >> 29);
}

/* One rank's stream of inputs in one case; the element at `index` is MixIndex(key, index). */
ALWAYS_INLINE uint64_t InputKey(int rank, uint32_t salt) {
  return MixBits(MixBits(((uint64_t)salt << 32) ^ (uint64_t)(uint32_t)rank));
}

/* The prod factors 0.75, 1, 1.25, 1.5, 1.75, 2 as (exponent, quarters of the
 * mantissa). */
ALWAYS_INLINE int ProdExp(int pick) { return pick == 0 ? -1 : pick == 5 ? 1 : 0; }
ALWAYS_INLINE uint64_t ProdQuarters(int pick) { return (UINT64_C(0x032102) >> (4 * pick)) & 15; }

/* The input's raw bits, and for floats its exact value in *value. */
ALWAYS_INLINE uint64_t InputAt(int d, int prod, uint64_t key, size_t index, double *value) {
  const uint64_t h = MixIndex(key, index);
  if (!KIsFloat(d)) return prod ? (uint64_t)((int64_t)(h % 9) - 4) : h;
  const int negative = (int)(h & 1), e_bits = KExpBits(d), m_bits = KManBits(d);
  const int bias = (1 << (e_bits - 1)) - 1;
  int exp;
  uint64_t fraction;
  int frac_bits;
  if (prod) {
    const int pick = (int)((h >> 1) % 6);
    exp = ProdExp(pick);
    fraction = ProdQuarters(pick);
    frac_bits = 2;
  } else {
    exp = -2 + (int)((h >> 1) % 6);
    frac_bits = KFracBits(d);
    fraction = (h >> 8) & ((UINT64_C(1) << frac_bits) - 1);
  }
  if (value != NULL) {
    /* (2^f + fraction) * 2^(exp - f), built as a double's bits: exact, no
     * ldexp. */
    const double mantissa = (double)((UINT64_C(1) << frac_bits) | fraction);
    const uint64_t scale_bits = (uint64_t)(1023 + exp - frac_bits) << 52;
    double scale;
    memcpy(&scale, &scale_bits, sizeof(scale));
    *value = negative ? -mantissa * scale : mantissa * scale;
  }
  return ((uint64_t)negative << (e_bits + m_bits)) | ((uint64_t)(exp + bias) << m_bits) |
         (fraction << (m_bits - frac_bits));
}

ALWAYS_INLINE uint64_t LoadAt(int d, const void *p, size_t i) {
  uint64_t bits = 0;
  memcpy(&bits, (const char *)p + i * (size_t)KSize(d), (size_t)KSize(d)); /* little-endian */
  return bits;
}

ALWAYS_INLINE void StoreAt(int d, void *p, size_t i, uint64_t bits) {
  memcpy((char *)p + i * (size_t)KSize(d), &bits, (size_t)KSize(d));
}

/* Calls BODY(d) with d a constant for the dtype `dtype`. */
#define DISPATCH_DTYPE(dtype, BODY) \
  switch (dtype) {                  \
    case 0:                         \
      BODY(0);                      \
      break;                        \
    case 1:                         \
      BODY(1);                      \
      break;                        \
    case 2:                         \
      BODY(2);                      \
      break;                        \
    case 3:                         \
      BODY(3);                      \
      break;                        \
    case 4:                         \
      BODY(4);                      \
      break;                        \
    case 5:                         \
      BODY(5);                      \
      break;                        \
    case 6:                         \
      BODY(6);                      \
      break;                        \
    case 7:                         \
      BODY(7);                      \
      break;                        \
    case 8:                         \
      BODY(8);                      \
      break;                        \
    case 9:                         \
      BODY(9);                      \
      break;                        \
    case 10:                        \
      BODY(10);                     \
      break;                        \
    case 11:                        \
      BODY(11);                     \
      break;                        \
  }

#endif /* COLLECTIVES_CHECK_INPUTS_H_ */
