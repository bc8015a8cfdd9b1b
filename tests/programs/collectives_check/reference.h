/*
 * reference.h — what a reduction must produce: exact for integers (wrap-around Sum and Prod, Avg
 * as the wrapped sum divided by the rank count with truncation), and for floating types the error
 * bound collectives/node_engine.h states (SumErrorBound), mirrored here.
 */
#ifndef COLLECTIVES_CHECK_REFERENCE_H_
#define COLLECTIVES_CHECK_REFERENCE_H_

#include <stddef.h>
#include <stdint.h>

/* How the communicator's ranks sit on nodes: the bound depends on it. Embedded ranks are one
 * node each (chips == 1); daemon mode has world / chips nodes of `chips` ranks. */
struct Shape {
  int world;
  int nodes;
  int chips;
};

/* Whether `got` is an acceptable reduction with `op` of the `shape->world` elements `inputs`
 * (raw bits). On failure `expected` describes the exact result and the tolerance. */
int CheckReduced(int dtype, int op, const struct Shape* shape, const uint64_t* inputs, uint64_t got,
                 char* expected, size_t expected_size);

/* The bound on |computed - exact| of a Sum or Avg element whose inputs' magnitudes add up to
 * `sum_of_magnitudes`. */
double SumErrorBound(int dtype, int op, const struct Shape* shape, double sum_of_magnitudes);

/* The tolerance of a floating reduction with `op`: |computed - exact| <= relative * m + absolute,
 * where m is the sum of the inputs' magnitudes (Sum, Avg) or |exact| (Prod); for Avg that bound is
 * then divided by the rank count and |exact| * 2^-50 added for the reference's own division.
 * Max and Min are exact (both 0). CheckReduced applies the same. */
struct Tolerance {
  double relative, absolute;
};
struct Tolerance ReductionTolerance(int dtype, int op, const struct Shape* shape);

#endif /* COLLECTIVES_CHECK_REFERENCE_H_ */
