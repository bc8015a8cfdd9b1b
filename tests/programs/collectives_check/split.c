/*
 * split.c — split communicators of collectives_check (embedded mode): color by parity with keys
 * that reverse the order, the last rank left out with ULTRACC_SPLIT_NOCOLOR (3 ranks or more);
 * collectives then alternate between the child and the parent, and a child of the child runs too.
 */
#include <stdio.h>

#include "check.h"
#include "verify.h"

/* Checks the child's size and rank against what color and key ask for. */
static int ExpectLayout(struct RankState* rs, ultraccComm_t child, int color, int key_sign,
                        const char* what) {
  struct Verify v = {rs, what, 0};
  int want_size = 0, want_rank = 0;
  for (int r = 0; r < rs->shape.world; ++r) {
    const int excluded = rs->shape.world >= 3 && r == rs->shape.world - 1;
    if (excluded || r % 2 != color) continue;
    ++want_size;
    if (key_sign < 0 ? r > rs->rank : r < rs->rank) ++want_rank;
  }
  int size = -1, rank = -1;
  if (ExpectSuccess(&v, ultraccCommCount(child, &size), NULL) &&
      ExpectSuccess(&v, ultraccCommUserRank(child, &rank), NULL) &&
      (size != want_size || rank != want_rank)) {
    Report(rs, what, "child is rank %d of %d, expected rank %d of %d", rank, size, want_rank,
           want_size);
    ++v.wrong;
  }
  return FinishCase(&v);
}

/* A few collectives on `child` (when not NULL), each followed by one on `parent`. */
static void Interleave(struct RankState* child, struct RankState* parent) {
  static const struct {
    int collective, dtype, op;
    size_t count;
  } kCases[] = {
      {kAllReduce, ultraccFloat32, ultraccSum, 1000}, {kReduceScatter, ultraccInt32, ultraccMax, 7},
      {kAllGather, ultraccFloat16, ultraccSum, 1000}, {kAllToAll, ultraccUint8, ultraccSum, 7},
      {kAllToAllv, ultraccInt64, ultraccSum, 1000},   {kBroadcast, ultraccBfloat16, ultraccSum, 7},
      {kReduce, ultraccFloat8e4m3, ultraccAvg, 1000}, {kAllReduce, ultraccUint64, ultraccProd, 7},
  };
  for (size_t i = 0; i < sizeof(kCases) / sizeof(kCases[0]); ++i) {
    const int in_place = (int)(i % 2);
    if (child != NULL) {
      RunCase(child, kCases[i].collective, kCases[i].dtype, kCases[i].op, kCases[i].count, in_place,
              child->shape.world - 1);
      ++child->salt;
    }
    RunCase(parent, kCases[i].collective, kCases[i].dtype, kCases[i].op, kCases[i].count, in_place,
            parent->shape.world / 2);
    ++parent->salt;
  }
}

static struct RankState ChildState(const struct RankState* parent, ultraccComm_t child,
                                   const char* label) {
  struct RankState s = *parent;
  s.comm = child;
  s.label = label;
  s.arrivals = NULL;
  s.shared = NULL;
  s.salt = 0;
  ultraccCommUserRank(child, &s.rank);
  ultraccCommCount(child, &s.shape.world);
  s.shape.nodes = s.shape.world; /* embedded: one rank per node */
  s.shape.chips = 1;
  return s;
}

void RunSplit(struct RankState* rs) {
  const int world = rs->shape.world;
  const int excluded = world >= 3 && rs->rank == world - 1;
  const int color = excluded ? ULTRACC_SPLIT_NOCOLOR : rs->rank % 2;
  ultraccComm_t child = NULL;
  struct Verify v = {rs, "split by parity, keys reversing the order", 0};
  if (!ExpectSuccess(&v, ultraccCommSplit(rs->comm, color, world - rs->rank, &child), NULL)) {
    FinishCase(&v);
    return;
  }
  if (excluded && child != NULL) {
    Report(rs, v.what, "ULTRACC_SPLIT_NOCOLOR returned a communicator");
    ++v.wrong;
  } else if (!excluded && child == NULL) {
    Report(rs, v.what, "no communicator returned");
    ++v.wrong;
  }
  if (!FinishCase(&v) || child == NULL) {
    Interleave(NULL, rs); /* the parent's collectives, matching the other ranks' */
    if (child != NULL) ultraccCommDestroy(child);
    return;
  }
  ExpectLayout(rs, child, color, -1, "split layout");
  struct RankState c = ChildState(rs, child, "child");
  Interleave(&c, rs);

  /* A child of the child, everyone with one color and equal keys: the same order. */
  ultraccComm_t grandchild = NULL;
  struct Verify g = {&c, "split of a split", 0};
  if (ExpectSuccess(&g, ultraccCommSplit(child, 7, 0, &grandchild), NULL) && grandchild != NULL) {
    int rank = -1;
    ultraccCommUserRank(grandchild, &rank);
    if (rank != c.rank) {
      Report(&c, g.what, "rank %d in the grandchild, expected %d", rank, c.rank);
      ++g.wrong;
    }
    struct RankState gc = ChildState(&c, grandchild, "grandchild");
    Interleave(&gc, &c);
    RunBarriers(&gc);
    if (ultraccCommDestroy(grandchild) != ultraccSuccess) {
      Report(&c, g.what, "ultraccCommDestroy failed: %s", ultraccGetLastError(NULL));
      ++g.wrong;
    }
  }
  FinishCase(&g);
  if (ultraccCommDestroy(child) != ultraccSuccess) {
    Report(rs, "split", "ultraccCommDestroy of the child failed: %s", ultraccGetLastError(NULL));
    rs->tally->failures++;
  }
}
