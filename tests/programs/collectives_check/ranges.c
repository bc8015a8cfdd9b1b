/*
 * ranges.c — per-dtype element loops of collectives_check; see ranges.h. Each
 * loop runs until the first wrong element, which is reported by the slow
 * per-element path, then resumes after it.
 */
#include "ranges.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>

#include "inputs.h"
#include "reference.h"

#define MAX_WORLD 256

/* The value of every bit pattern of the 1- and 2-byte floats, so that reading
 * an output needs no decoding; NaN patterns map to NaN, which fails every
 * comparison. */
static float g_narrow_values[4][1 << 16];
static pthread_once_t g_narrow_once = PTHREAD_ONCE_INIT;

static int NarrowSlot(int d) {
  return d == ultraccFloat16 ? 0 : d == ultraccBfloat16 ? 1 : d == ultraccFloat8e4m3 ? 2 : 3;
}

static void BuildNarrowValues(void) {
  static const int kNarrow[4] = {ultraccFloat16, ultraccBfloat16, ultraccFloat8e4m3,
                                 ultraccFloat8e5m2};
  for (int s = 0; s < 4; ++s) {
    const uint64_t patterns = UINT64_C(1) << (8 * Dtype(kNarrow[s])->size);
    for (uint64_t bits = 0; bits < patterns; ++bits) {
      g_narrow_values[s][bits] = (float)AsDouble(kNarrow[s], bits);
    }
  }
}

ALWAYS_INLINE double ValueOf(int d, uint64_t bits) {
  if (d == ultraccFloat64) {
    double x;
    memcpy(&x, &bits, sizeof(x));
    return x;
  }
  if (d == ultraccFloat32) {
    float x;
    const uint32_t low = (uint32_t)bits;
    memcpy(&x, &low, sizeof(x));
    return x;
  }
  return g_narrow_values[NarrowSlot(d)][bits & 0xffff];
}

ALWAYS_INLINE uint64_t WidthMask(int d) {
  return KSize(d) == 8 ? ~UINT64_C(0) : (UINT64_C(1) << (8 * KSize(d))) - 1;
}

/* An integer's bits truncated to its width and, for signed types, sign-extended
 * to 64. */
ALWAYS_INLINE uint64_t Widen(int d, uint64_t bits) {
  if (KSize(d) == 8) return bits;
  const int shift = 64 - 8 * KSize(d);
  return KIsSigned(d) ? (uint64_t)((int64_t)(bits << shift) >> shift) : bits & WidthMask(d);
}

void FillInput(struct Buffer *b, int op, int rank, size_t first, size_t n, uint32_t salt) {
  const uint64_t key = InputKey(rank, salt);
  const int prod = op == ultraccProd;
  char *p = b->p;
#define FILL(d) \
  for (size_t i = first; i < first + n; ++i) StoreAt(d, p, i, InputAt(d, prod, key, i, NULL))
  DISPATCH_DTYPE(b->dtype, FILL)
#undef FILL
}

/* Index (from `from`) of the first element of [from, n) that is not the input,
 * or n. */
ALWAYS_INLINE size_t FirstWrongInput(int d, int prod, const void *p, size_t at, uint64_t key,
                                     size_t source_first, size_t from, size_t n) {
  for (size_t k = from; k < n; ++k) {
    const uint64_t want = InputAt(d, prod, key, source_first + k, NULL);
    if (((LoadAt(d, p, at + k) ^ want) & WidthMask(d)) != 0) return k;
  }
  return n;
}

void ExpectInputs(struct Verify *v, const char *name, const void *p, int dtype, size_t at, int op,
                  int source, size_t source_first, size_t n) {
  const uint64_t key = InputKey(source, v->rs->salt);
  const int prod = op == ultraccProd;
  for (size_t k = 0; k < n; ++k) {
#define FIND(d) k = FirstWrongInput(d, prod, p, at, key, source_first, k, n)
    DISPATCH_DTYPE(dtype, FIND)
#undef FIND
    if (k == n) break;
    ExpectBits(v, name, at + k, LoadBits(dtype, p, at + k),
               InputBits(dtype, op, source, source_first + k, v->rs->salt), dtype);
  }
}

struct ReducedRange {
  const void *out;
  uint64_t keys[MAX_WORLD];
  int world;
  struct Tolerance tolerance;
  size_t source_first;
};

ALWAYS_INLINE size_t FirstWrongReduced(int d, int op, const struct ReducedRange *c, size_t from,
                                       size_t n) {
  const int prod = op == ultraccProd, world = c->world;
  for (size_t k = from; k < n; ++k) {
    const size_t index = c->source_first + k;
    const uint64_t got = LoadAt(d, c->out, k);
    if (!KIsFloat(d)) {
      uint64_t acc = Widen(d, InputAt(d, prod, c->keys[0], index, NULL));
      for (int r = 1; r < world; ++r) {
        const uint64_t x = Widen(d, InputAt(d, prod, c->keys[r], index, NULL));
        if (op == ultraccSum || op == ultraccAvg) acc += x;
        if (op == ultraccProd) acc *= x;
        if (op == ultraccMax && (KIsSigned(d) ? (int64_t)x > (int64_t)acc : x > acc)) acc = x;
        if (op == ultraccMin && (KIsSigned(d) ? (int64_t)x < (int64_t)acc : x < acc)) acc = x;
      }
      if (op == ultraccAvg) {
        /* The wrapped sum in the element type, then a truncating division. */
        const uint64_t sum = Widen(d, acc);
        acc = KIsSigned(d) ? (uint64_t)((int64_t)sum / world) : (sum & WidthMask(d)) / world;
      }
      if (((got ^ acc) & WidthMask(d)) != 0) return k;
      continue;
    }
    double exact, magnitudes;
    InputAt(d, prod, c->keys[0], index, &exact);
    magnitudes = fabs(exact);
    for (int r = 1; r < world; ++r) {
      double x;
      InputAt(d, prod, c->keys[r], index, &x);
      magnitudes += fabs(x);
      if (op == ultraccSum || op == ultraccAvg) exact += x; /* exact: see inputs.h */
      if (op == ultraccProd) exact *= x;
      if (op == ultraccMax) exact = x > exact ? x : exact;
      if (op == ultraccMin) exact = x < exact ? x : exact;
    }
    double tolerance = 0;
    if (op == ultraccSum || op == ultraccAvg) {
      tolerance = c->tolerance.relative * magnitudes + c->tolerance.absolute;
    }
    if (op == ultraccAvg) {
      exact /= world;
      tolerance = tolerance / world + fabs(exact) * 0x1p-50;
    }
    if (op == ultraccProd) tolerance = c->tolerance.relative * fabs(exact) + c->tolerance.absolute;
    if (!(fabs(ValueOf(d, got) - exact) <= tolerance)) return k;
  }
  return n;
}

/* The message of a wrong element, from the per-element reference. */
static void ReportReduced(struct Verify *v, const char *name, const void *out, int dtype, int op,
                          size_t k, size_t index) {
  uint64_t inputs[MAX_WORLD];
  const uint64_t got = LoadBits(dtype, out, k);
  for (int r = 0; r < v->rs->shape.world; ++r) {
    inputs[r] = InputBits(dtype, op, r, index, v->rs->salt);
  }
  char expected[96], g[48];
  if (CheckReduced(dtype, op, &v->rs->shape, inputs, got, expected, sizeof(expected))) {
    snprintf(expected, sizeof(expected), "something else (the references disagree)");
  }
  FormatBits(dtype, got, g, sizeof(g));
  Mismatch(v, "%s[%zu] is %s, expected %s", name, k, g, expected);
}

void ExpectReducedRange(struct Verify *v, const char *name, const void *out, int dtype, int op,
                        size_t source_first, size_t n) {
  struct ReducedRange range;
  range.out = out;
  range.world = v->rs->shape.world;
  range.tolerance = ReductionTolerance(dtype, op, &v->rs->shape);
  range.source_first = source_first;
  if (range.world > MAX_WORLD) {
    Mismatch(v, "more than %d ranks; the reference cannot check this", MAX_WORLD);
    return;
  }
  for (int r = 0; r < range.world; ++r) range.keys[r] = InputKey(r, v->rs->salt);
  pthread_once(&g_narrow_once, BuildNarrowValues);
  for (size_t k = 0; k < n; ++k) {
#define FIND_OP(d)                               \
  switch (op) {                                  \
    case ultraccSum:                             \
      k = FirstWrongReduced(d, 0, &range, k, n); \
      break;                                     \
    case ultraccProd:                            \
      k = FirstWrongReduced(d, 1, &range, k, n); \
      break;                                     \
    case ultraccMax:                             \
      k = FirstWrongReduced(d, 2, &range, k, n); \
      break;                                     \
    case ultraccMin:                             \
      k = FirstWrongReduced(d, 3, &range, k, n); \
      break;                                     \
    default:                                     \
      k = FirstWrongReduced(d, 4, &range, k, n); \
      break;                                     \
  }
    DISPATCH_DTYPE(dtype, FIND_OP)
#undef FIND_OP
    if (k == n) break;
    ReportReduced(v, name, out, dtype, op, k, source_first + k);
  }
}
