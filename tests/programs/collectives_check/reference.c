/*
 * reference.c — reference reductions and the floating-point error bound; see reference.h.
 */
#include "reference.h"

#include <math.h>
#include <stdio.h>

#include "elements.h"

static int LocalRoundings(int dtype, const struct Shape* shape) {
  return shape->chips <= 1 ? 0 : Dtype(dtype)->narrow ? 1 : shape->chips - 1;
}

/* Roundings along the reduction tree of one element, from an input to the result: the local
 * reduce (once for narrow types, at every addition for float32/float64), one per inter-node
 * step, and the division of Avg. Each bounds the error of a sum relative to sum |x|. */
static int Roundings(int dtype, int op, const struct Shape* shape) {
  return LocalRoundings(dtype, shape) + (shape->nodes - 1) + (op == ultraccAvg ? 1 : 0);
}

/* A product's relative errors multiply, so every rounding of the tree counts, not only those on
 * one path: the local reduce of every node and each inter-node step. */
static int ProductRoundings(int dtype, const struct Shape* shape) {
  return shape->nodes * LocalRoundings(dtype, shape) + (shape->nodes - 1);
}

static double Gamma(int dtype, const struct Shape* shape, int roundings) {
  const struct DtypeInfo* t = Dtype(dtype);
  const double u = t->unit_roundoff + (t->narrow ? shape->chips * 0x1p-24 : 0.0);
  double power = 1.0;
  for (int i = 0; i < roundings; ++i) power *= 1.0 + u;
  return power - 1.0;
}

double SumErrorBound(int dtype, int op, const struct Shape* shape, double sum_of_magnitudes) {
  const struct Tolerance t = ReductionTolerance(dtype, op, shape);
  double bound = t.relative * sum_of_magnitudes + t.absolute;
  if (op == ultraccAvg) bound /= shape->world;
  return bound;
}

struct Tolerance ReductionTolerance(int dtype, int op, const struct Shape* shape) {
  struct Tolerance t = {0, 0};
  if (op == ultraccSum || op == ultraccAvg || op == ultraccProd) {
    const int r = op == ultraccProd ? ProductRoundings(dtype, shape) : Roundings(dtype, op, shape);
    t.relative = Gamma(dtype, shape, r);
    t.absolute = r * Dtype(dtype)->smallest_subnormal / 2;
  }
  return t;
}

static uint64_t TruncateBits(int dtype, uint64_t bits) {
  const size_t width = Dtype(dtype)->size * 8;
  return width == 64 ? bits : bits & ((UINT64_C(1) << width) - 1);
}

static uint64_t ReduceIntegers(int dtype, int op, int world, const uint64_t* inputs) {
  const int is_signed = Dtype(dtype)->is_signed;
  uint64_t acc = (uint64_t)AsInt64(dtype, inputs[0]);
  for (int r = 1; r < world; ++r) {
    const uint64_t v = (uint64_t)AsInt64(dtype, inputs[r]);
    switch (op) {
      case ultraccSum:
      case ultraccAvg:
        acc += v;
        break;
      case ultraccProd:
        acc *= v;
        break;
      case ultraccMax:
        if (is_signed ? (int64_t)v > (int64_t)acc : v > acc) acc = v;
        break;
      case ultraccMin:
        if (is_signed ? (int64_t)v < (int64_t)acc : v < acc) acc = v;
        break;
    }
  }
  if (op == ultraccAvg) {
    /* The wrapped sum in the element type, then a truncating division. */
    const uint64_t sum = (uint64_t)AsInt64(dtype, TruncateBits(dtype, acc));
    acc = is_signed ? (uint64_t)((int64_t)sum / world) : TruncateBits(dtype, sum) / (uint64_t)world;
  }
  return TruncateBits(dtype, acc);
}

int CheckReduced(int dtype, int op, const struct Shape* shape, const uint64_t* inputs, uint64_t got,
                 char* expected, size_t expected_size) {
  if (!Dtype(dtype)->is_float) {
    const uint64_t want = ReduceIntegers(dtype, op, shape->world, inputs);
    if (TruncateBits(dtype, got) == want) return 1;
    FormatBits(dtype, want, expected, expected_size);
    return 0;
  }
  double exact = AsDouble(dtype, inputs[0]), magnitudes = fabs(exact);
  for (int r = 1; r < shape->world; ++r) {
    const double v = AsDouble(dtype, inputs[r]);
    magnitudes += fabs(v);
    switch (op) {
      case ultraccSum:
      case ultraccAvg:
        exact += v;
        break; /* exact: see InputBits */
      case ultraccProd:
        exact *= v;
        break;
      case ultraccMax:
        exact = v > exact ? v : exact;
        break;
      case ultraccMin:
        exact = v < exact ? v : exact;
        break;
    }
  }
  double tolerance = 0;
  if (op == ultraccAvg) exact /= shape->world;
  if (op == ultraccSum || op == ultraccAvg) {
    tolerance = SumErrorBound(dtype, op, shape, magnitudes);
  } else if (op == ultraccProd) {
    const struct Tolerance t = ReductionTolerance(dtype, op, shape);
    tolerance = t.relative * fabs(exact) + t.absolute;
  }
  /* The reference's own division for Avg rounds in double. */
  if (op == ultraccAvg) tolerance += ldexp(fabs(exact), -50);
  const double value = AsDouble(dtype, got);
  if (!isnan(value) && fabs(value - exact) <= tolerance) return 1;
  snprintf(expected, expected_size, "%.17g (+-%.3g)", exact, tolerance);
  return 0;
}
