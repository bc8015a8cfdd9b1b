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
#include "shared_expected.h"

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
  const char *const *rows = SharedInputs(v, dtype, op, source_first + n);
  const size_t size = Dtype(dtype)->size;
  if (rows != NULL && (n == 0 || memcmp((const char *)p + at * size,
                                        rows[source] + source_first * size, n * size) == 0)) {
    return;
  }
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
  const char *const *rows; /* every rank's published inputs, read instead of keys; or NULL */
  int world;
  struct Tolerance tolerance;
  size_t source_first;
};

/* Rank r's input at `index` (its value in *value for floats): read from its published row, or
 * generated. */
ALWAYS_INLINE uint64_t SourceAt(int d, int prod, const struct ReducedRange *c, int r, size_t index,
                                double *value) {
  if (c->rows == NULL) return InputAt(d, prod, c->keys[r], index, value);
  const uint64_t bits = LoadAt(d, c->rows[r], index);
  if (value != NULL) *value = ValueOf(d, bits);
  return bits;
}

/* The exact integer reduction with `op` of every rank's input at `index`, in the element type. */
ALWAYS_INLINE uint64_t ReducedBitsAt(int d, int op, const struct ReducedRange *c, size_t index) {
  const int prod = op == ultraccProd, world = c->world;
  uint64_t acc = Widen(d, SourceAt(d, prod, c, 0, index, NULL));
  for (int r = 1; r < world; ++r) {
    const uint64_t x = Widen(d, SourceAt(d, prod, c, r, index, NULL));
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
  return acc & WidthMask(d);
}

/* The exact floating reduction at `index` and the tolerance around it. */
ALWAYS_INLINE struct Interval ReducedIntervalAt(int d, int op, const struct ReducedRange *c,
                                                size_t index) {
  const int prod = op == ultraccProd, world = c->world;
  double exact, magnitudes;
  SourceAt(d, prod, c, 0, index, &exact);
  magnitudes = fabs(exact);
  for (int r = 1; r < world; ++r) {
    double x;
    SourceAt(d, prod, c, r, index, &x);
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
  return (struct Interval){exact, tolerance};
}

ALWAYS_INLINE int Within(int d, uint64_t got, struct Interval want) {
  return fabs(ValueOf(d, got) - want.exact) <= want.tolerance; /* NaN is never within */
}

ALWAYS_INLINE size_t FirstWrongReduced(int d, int op, const struct ReducedRange *c, size_t from,
                                       size_t n) {
  for (size_t k = from; k < n; ++k) {
    const size_t index = c->source_first + k;
    const uint64_t got = LoadAt(d, c->out, k);
    if (!KIsFloat(d)) {
      if (((got ^ ReducedBitsAt(d, op, c, index)) & WidthMask(d)) != 0) return k;
    } else if (!Within(d, got, ReducedIntervalAt(d, op, c, index))) {
      return k;
    }
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

/* The keys and tolerance of a reduction over `shape->world` ranks in case `salt`; 0 if there are
 * more ranks than the reference handles. */
static int SetUpRange(struct ReducedRange *range, int dtype, int op, const struct Shape *shape,
                      uint32_t salt, const void *out, size_t source_first,
                      const char *const *rows) {
  range->out = out;
  range->rows = rows;
  range->world = shape->world;
  range->tolerance = ReductionTolerance(dtype, op, shape);
  range->source_first = source_first;
  if (range->world > MAX_WORLD) return 0;
  for (int r = 0; r < range->world; ++r) range->keys[r] = InputKey(r, salt);
  pthread_once(&g_narrow_once, BuildNarrowValues);
  return 1;
}

/* Calls BODY(d, o) with d and o constants for `dtype` and `op`. */
#define DISPATCH_OP(d, op, BODY) \
  switch (op) {                  \
    case ultraccSum:             \
      BODY(d, 0);                \
      break;                     \
    case ultraccProd:            \
      BODY(d, 1);                \
      break;                     \
    case ultraccMax:             \
      BODY(d, 2);                \
      break;                     \
    case ultraccMin:             \
      BODY(d, 3);                \
      break;                     \
    default:                     \
      BODY(d, 4);                \
      break;                     \
  }

void ExpectReducedRange(struct Verify *v, const char *name, const void *out, int dtype, int op,
                        size_t source_first, size_t n) {
  struct ReducedRange range;
  if (!SetUpRange(&range, dtype, op, &v->rs->shape, v->rs->salt, out, source_first,
                  SharedInputs(v, dtype, op, source_first + n))) {
    Mismatch(v, "more than %d ranks; the reference cannot check this", MAX_WORLD);
    return;
  }
  for (size_t k = 0; k < n; ++k) {
#define FIND(d, o) k = FirstWrongReduced(d, o, &range, k, n)
#define FIND_OP(d) DISPATCH_OP(d, op, FIND)
    DISPATCH_DTYPE(dtype, FIND_OP)
#undef FIND_OP
#undef FIND
    if (k == n) break;
    ReportReduced(v, name, out, dtype, op, k, source_first + k);
  }
}

int ComputeReduced(void *expected, size_t base, int dtype, int op, const struct Shape *shape,
                   uint32_t salt, const char *const *rows, size_t from, size_t to) {
  struct ReducedRange range;
  if (!SetUpRange(&range, dtype, op, shape, salt, NULL, 0, rows)) return 0;
  struct Interval *intervals = expected;
#define COMPUTE(d, o)                                                 \
  for (size_t k = from; k < to; ++k) {                                \
    if (KIsFloat(d)) {                                                \
      intervals[k - base] = ReducedIntervalAt(d, o, &range, k);       \
    } else {                                                          \
      StoreAt(d, expected, k - base, ReducedBitsAt(d, o, &range, k)); \
    }                                                                 \
  }
#define COMPUTE_OP(d) DISPATCH_OP(d, op, COMPUTE)
  DISPATCH_DTYPE(dtype, COMPUTE_OP)
#undef COMPUTE_OP
#undef COMPUTE
  return 1;
}

ALWAYS_INLINE size_t FirstOutside(int d, const void *out, const void *expected, size_t n) {
  if (!KIsFloat(d)) {
    if (memcmp(out, expected, n * (size_t)KSize(d)) == 0) return n;
    for (size_t k = 0; k < n; ++k) {
      if (LoadAt(d, out, k) != LoadAt(d, expected, k)) return k;
    }
    return n;
  }
  const struct Interval *intervals = expected;
  for (size_t k = 0; k < n; ++k) {
    if (!Within(d, LoadAt(d, out, k), intervals[k])) return k;
  }
  return n;
}

size_t FirstOutsideExpected(const void *out, const void *expected, int dtype, size_t n) {
  size_t k = n;
  pthread_once(&g_narrow_once, BuildNarrowValues);
#define FIRST(d) k = FirstOutside(d, out, expected, n)
  DISPATCH_DTYPE(dtype, FIRST)
#undef FIRST
  return k;
}
