/*
 * matrix.c — the collective cases of collectives_check and the loops over collective x dtype x
 * op x placement x count x root. Each case fills its inputs, calls the collective, and checks
 * every output element against the reference, plus the regions it must leave alone.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "ranges.h"
#include "shared_expected.h"
#include "verify.h"

/* The cases vary between a NULL and a created stream, between ultraccMemAlloc and malloc
 * buffers, and (where allowed) between NULL and unused buffers off the root, by bits of a hash of
 * the case number, so that no count or dtype always meets the same combination. */
static uint32_t CaseBits(const struct RankState* rs) { return rs->case_number * 2654435761u; }
static ultraccStream_t CaseStream(const struct RankState* rs) {
  return (CaseBits(rs) >> 31) ? rs->stream : NULL;
}
static int CaseArena(const struct RankState* rs) { return (CaseBits(rs) >> 30) & 1; }
static int CaseNullOffRoot(const struct RankState* rs) { return (CaseBits(rs) >> 29) & 1; }

static void AllReduceCase(struct Verify* v, int dtype, int op, size_t n, int in_place) {
  struct RankState* rs = v->rs;
  struct Buffer send, recv;
  AllocInputBuffer(&send, dtype, n, CaseArena(rs));
  FillAndShareInput(v, &send, op);
  if (!in_place) AllocBuffer(&recv, dtype, n, CaseArena(rs));
  struct Buffer* out = in_place ? &send : &recv;
  ultraccResult_t r = ultraccAllReduce(send.p, out->p, n, (ultraccDataType_t)dtype,
                                       (ultraccRedOp_t)op, rs->comm, CaseStream(rs));
  const int ok = ExpectSuccess(v, r, CaseStream(rs));
  ExpectReducedEverywhere(v, ok, "recvbuff", out->p, dtype, op, n);
  if (ok) {
    ExpectSentinel(v, "recvbuff", out, n, n + GUARD_ELEMENTS);
    if (!in_place) ExpectInput(v, "sendbuff", &send, op, 0, n);
  }
  if (!in_place) FreeBuffer(&recv);
  FreeBuffer(&send);
}

static void ReduceScatterCase(struct Verify* v, int dtype, int op, size_t n, int in_place) {
  struct RankState* rs = v->rs;
  const size_t world = (size_t)rs->shape.world, mine = (size_t)rs->rank * n;
  struct Buffer send, recv;
  AllocInputBuffer(&send, dtype, world * n, CaseArena(rs));
  FillAndShareInput(v, &send, op);
  if (!in_place) AllocBuffer(&recv, dtype, n, CaseArena(rs));
  char* out = in_place ? send.p + mine * Dtype(dtype)->size : recv.p;
  ultraccResult_t r = ultraccReduceScatter(send.p, out, n, (ultraccDataType_t)dtype,
                                           (ultraccRedOp_t)op, rs->comm, CaseStream(rs));
  if (ExpectSuccess(v, r, CaseStream(rs))) {
    ExpectReducedRangeKept(v, "recvbuff", out, dtype, op, mine, n);
    if (in_place) {
      ExpectSentinel(v, "sendbuff", &send, world * n, world * n + GUARD_ELEMENTS);
    } else {
      ExpectSentinel(v, "recvbuff", &recv, n, n + GUARD_ELEMENTS);
      ExpectInput(v, "sendbuff", &send, op, 0, world * n);
    }
  }
  if (!in_place) FreeBuffer(&recv);
  FreeBuffer(&send);
}

static void AllGatherCase(struct Verify* v, int dtype, size_t n, int in_place) {
  struct RankState* rs = v->rs;
  const size_t world = (size_t)rs->shape.world, mine = (size_t)rs->rank * n;
  struct Buffer send, recv;
  AllocBuffer(&recv, dtype, world * n, CaseArena(rs));
  char* in = recv.p + mine * Dtype(dtype)->size;
  if (in_place) {
    /* This rank's block of recvbuff holds its input, numbered from 0 like any sendbuff. */
    struct Buffer block = {in, n, dtype, 0, 0, 0};
    FillAndShareInput(v, &block, ultraccSum);
  } else {
    AllocInputBuffer(&send, dtype, n, CaseArena(rs));
    FillAndShareInput(v, &send, ultraccSum);
    in = send.p;
  }
  ultraccResult_t r =
      ultraccAllGather(in, recv.p, n, (ultraccDataType_t)dtype, rs->comm, CaseStream(rs));
  const int ok = ExpectSuccess(v, r, CaseStream(rs));
  ExpectGathered(v, ok, "recvbuff", recv.p, dtype, 0, (int)world, n);
  if (ok) {
    ExpectSentinel(v, "recvbuff", &recv, world * n, world * n + GUARD_ELEMENTS);
    if (!in_place) ExpectInput(v, "sendbuff", &send, ultraccSum, 0, n);
  }
  if (!in_place) FreeBuffer(&send);
  FreeBuffer(&recv);
}

static void AllToAllCase(struct Verify* v, int dtype, size_t n) {
  struct RankState* rs = v->rs;
  const size_t world = (size_t)rs->shape.world;
  struct Buffer send, recv;
  AllocInputBuffer(&send, dtype, world * n, CaseArena(rs));
  AllocBuffer(&recv, dtype, world * n, CaseArena(rs));
  FillAndShareInput(v, &send, ultraccSum);
  ultraccResult_t r =
      ultraccAllToAll(send.p, recv.p, n, (ultraccDataType_t)dtype, rs->comm, CaseStream(rs));
  if (ExpectSuccess(v, r, CaseStream(rs))) {
    for (size_t src = 0; src < world; ++src) {
      ExpectInputs(v, "recvbuff", recv.p, dtype, src * n, ultraccSum, (int)src,
                   (size_t)rs->rank * n, n);
    }
    ExpectSentinel(v, "recvbuff", &recv, world * n, world * n + GUARD_ELEMENTS);
    ExpectInput(v, "sendbuff", &send, ultraccSum, 0, world * n);
  }
  FreeBuffer(&recv);
  FreeBuffer(&send);
}

/* Elements rank `from` sends to rank `to` in all-to-allv: uneven around `base`, and none for about
 * one pair in five. */
static size_t PairCount(int from, int to, size_t base) {
  if (base == 0 || (from + 2 * to) % 5 == 3) return 0;
  return base + (size_t)((from * 7 + to * 3) % 4) * (base / 4 + 1);
}

/* Displacements with gaps between blocks: sends stored in reverse peer order, receives in order,
 * so neither side is contiguous or in rank order. Returns the extent in elements. */
static size_t SendLayout(int rank, int world, size_t base, size_t* counts, size_t* displs) {
  size_t at = 0;
  for (int j = world - 1; j >= 0; --j) {
    at += 3 + (size_t)(j % 2);
    counts[j] = PairCount(rank, j, base);
    displs[j] = at;
    at += counts[j];
  }
  return at;
}

static size_t RecvLayout(int rank, int world, size_t base, size_t* counts, size_t* displs) {
  size_t at = 0;
  for (int j = 0; j < world; ++j) {
    at += 2 + (size_t)(j % 3);
    counts[j] = PairCount(j, rank, base);
    displs[j] = at;
    at += counts[j];
  }
  return at;
}

static void AllToAllvCase(struct Verify* v, int dtype, size_t base) {
  struct RankState* rs = v->rs;
  const int world = rs->shape.world;
  size_t sc[256], sd[256], rc[256], rd[256], peer_counts[256], peer_displs[256];
  if (world > 256) return;
  const size_t send_extent = SendLayout(rs->rank, world, base, sc, sd);
  const size_t recv_extent = RecvLayout(rs->rank, world, base, rc, rd);
  struct Buffer send, recv;
  AllocBuffer(&send, dtype, send_extent, CaseArena(rs));
  AllocBuffer(&recv, dtype, recv_extent, CaseArena(rs));
  for (int j = 0; j < world; ++j) FillInput(&send, ultraccSum, rs->rank, sd[j], sc[j], rs->salt);
  ShareInput(v, &send, ultraccSum);
  ultraccResult_t r = ultraccAllToAllv(send.p, sc, sd, recv.p, rc, rd, (ultraccDataType_t)dtype,
                                       rs->comm, CaseStream(rs));
  if (ExpectSuccess(v, r, CaseStream(rs))) {
    size_t gap_start = 0;
    for (int j = 0; j < world; ++j) {
      ExpectSentinel(v, "recvbuff (gap)", &recv, gap_start, rd[j]);
      SendLayout(j, world, base, peer_counts, peer_displs);
      ExpectInputs(v, "recvbuff", recv.p, dtype, rd[j], ultraccSum, j, peer_displs[rs->rank],
                   rc[j]);
      gap_start = rd[j] + rc[j];
    }
    ExpectSentinel(v, "recvbuff", &recv, gap_start, recv_extent + GUARD_ELEMENTS);
    for (int j = 0; j < world; ++j) ExpectInput(v, "sendbuff", &send, ultraccSum, sd[j], sc[j]);
  }
  FreeBuffer(&recv);
  FreeBuffer(&send);
}

static void BroadcastCase(struct Verify* v, int dtype, size_t n, int in_place, int root) {
  struct RankState* rs = v->rs;
  const int is_root = rs->rank == root;
  struct Buffer send = {0}, recv;
  AllocBuffer(&recv, dtype, n, CaseArena(rs));
  const char* in = recv.p;
  if (in_place) {
    if (is_root) FillInput(&recv, ultraccSum, rs->rank, 0, n, rs->salt);
  } else if (is_root || !CaseNullOffRoot(rs)) {
    /* Off the root sendbuff is never read: sometimes a buffer of other data, sometimes NULL. */
    AllocBuffer(&send, dtype, n, CaseArena(rs));
    FillInput(&send, ultraccSum, rs->rank, 0, n, rs->salt);
    in = send.p;
  } else {
    in = NULL;
  }
  ultraccResult_t r =
      ultraccBroadcast(in, recv.p, n, (ultraccDataType_t)dtype, root, rs->comm, CaseStream(rs));
  const int ok = ExpectSuccess(v, r, CaseStream(rs));
  ExpectGathered(v, ok, "recvbuff", recv.p, dtype, root, 1, n);
  if (ok) {
    ExpectSentinel(v, "recvbuff", &recv, n, n + GUARD_ELEMENTS);
    if (send.p != NULL) ExpectInput(v, "sendbuff", &send, ultraccSum, 0, n);
  }
  FreeBuffer(&send);
  FreeBuffer(&recv);
}

static void ReduceCase(struct Verify* v, int dtype, int op, size_t n, int in_place, int root) {
  struct RankState* rs = v->rs;
  const int is_root = rs->rank == root;
  struct Buffer send, recv = {0};
  AllocInputBuffer(&send, dtype, n, CaseArena(rs));
  FillAndShareInput(v, &send, op);
  char* out = send.p;
  if (!in_place) {
    /* Off the root recvbuff is never written: sometimes a buffer that must stay as it was,
     * sometimes NULL. */
    if (is_root || !CaseNullOffRoot(rs)) AllocBuffer(&recv, dtype, n, CaseArena(rs));
    out = recv.p;
  }
  ultraccResult_t r = ultraccReduce(send.p, out, n, (ultraccDataType_t)dtype, (ultraccRedOp_t)op,
                                    root, rs->comm, CaseStream(rs));
  const int ok = ExpectSuccess(v, r, CaseStream(rs));
  ExpectReducedEverywhere(v, ok && is_root, "recvbuff", out, dtype, op, n);
  if (ok) {
    if (!is_root && recv.p != NULL) ExpectSentinel(v, "recvbuff off the root", &recv, 0, n);
    if (!in_place || !is_root) ExpectInput(v, "sendbuff", &send, op, 0, n);
    if (recv.p != NULL) ExpectSentinel(v, "recvbuff", &recv, n, n + GUARD_ELEMENTS);
    ExpectSentinel(v, "sendbuff", &send, n, n + GUARD_ELEMENTS);
  }
  FreeBuffer(&recv);
  FreeBuffer(&send);
}

int RunCase(struct RankState* rs, int collective, int dtype, int op, size_t count, int in_place,
            int root) {
  char what[160];
  const int reduction =
      collective == kAllReduce || collective == kReduceScatter || collective == kReduce;
  const int rooted = collective == kBroadcast || collective == kReduce;
  int at = snprintf(what, sizeof(what), "%s %s", kCollectiveNames[collective], Dtype(dtype)->name);
  if (reduction) at += snprintf(what + at, sizeof(what) - at, " %s", OpName(op));
  at += snprintf(what + at, sizeof(what) - at, " count %zu %s", count,
                 in_place ? "in place" : "out of place");
  if (rooted) at += snprintf(what + at, sizeof(what) - at, " root %d", root);
  snprintf(what + at, sizeof(what) - at, " (case %u, inputs %u, %s stream, %s)",
           (unsigned)rs->case_number, (unsigned)rs->salt,
           CaseStream(rs) ? "created" : "NULL", CaseArena(rs) ? "ultraccMemAlloc" : "malloc");
  struct Verify v = {rs, what, 0};
  switch (collective) {
    case kAllReduce:
      AllReduceCase(&v, dtype, op, count, in_place);
      break;
    case kReduceScatter:
      ReduceScatterCase(&v, dtype, op, count, in_place);
      break;
    case kAllGather:
      AllGatherCase(&v, dtype, count, in_place);
      break;
    case kAllToAll:
      AllToAllCase(&v, dtype, count);
      break;
    case kAllToAllv:
      AllToAllvCase(&v, dtype, count);
      break;
    case kBroadcast:
      BroadcastCase(&v, dtype, count, in_place, root);
      break;
    case kReduce:
      ReduceCase(&v, dtype, op, count, in_place, root);
      break;
    default:
      return 1;
  }
  ++rs->case_number;
  return FinishCase(&v);
}

/* The large count runs on this subset: every collective and every dtype at least once, reductions
 * with several ops, both placements; the one-byte types go where buffers are world * count. */
static const struct {
  int collective, dtype, op, in_place;
} kLargeCases[] = {
    {kAllReduce, ultraccFloat32, ultraccSum, 0},
    {kAllReduce, ultraccInt64, ultraccProd, 1},
    {kAllReduce, ultraccUint32, ultraccAvg, 0},
    {kReduce, ultraccFloat64, ultraccAvg, 0},
    {kReduce, ultraccInt32, ultraccMax, 1},
    {kBroadcast, ultraccUint64, ultraccSum, 1},
    {kReduceScatter, ultraccInt8, ultraccSum, 1},
    {kReduceScatter, ultraccFloat8e4m3, ultraccMin, 0},
    {kAllGather, ultraccUint8, ultraccSum, 1},
    {kAllGather, ultraccFloat16, ultraccSum, 0},
    {kAllToAll, ultraccFloat8e5m2, ultraccSum, 0},
    {kAllToAllv, ultraccBfloat16, ultraccSum, 0},
};

static int Selected(unsigned set, int item) { return (set >> item) & 1u; }

/* Prod last: the other ops read the same inputs, which the thread-ranks then fill only once. */
static const int kOpOrder[NUM_OPS] = {ultraccSum, ultraccMax, ultraccMin, ultraccAvg, ultraccProd};

/* RunCase on the world communicator, or in turn on each forced algorithm's (same inputs). */
static void RunCaseOnEachComm(struct RankState* rs, int collective, int dtype, int op, size_t count,
                              int in_place, int root) {
  if (rs->num_algorithm_comms == 0) {
    RunCase(rs, collective, dtype, op, count, in_place, root);
    return;
  }
  ultraccComm_t world = rs->comm;
  const char* label = rs->label;
  for (int k = 0; k < rs->num_algorithm_comms; ++k) {
    rs->comm = rs->algorithm_comms[k];
    rs->label = rs->algorithm_labels[k];
    RunCase(rs, collective, dtype, op, count, in_place, root);
  }
  rs->comm = world;
  rs->label = label;
}

/* The element types, widest first: buffers a wide type grew are then reused by the narrower ones
 * after it instead of being mapped and faulted in again for every wider type that follows. */
static void DtypesWidestFirst(int order[NUM_DTYPES]) {
  int n = 0;
  for (size_t width = 8; width >= 1; width /= 2) {
    for (int d = 0; d < NUM_DTYPES; ++d) {
      if (Dtype(d)->size == width) order[n++] = d;
    }
  }
}

/* Every case of RunMatrix, then a fresh salt, so that no later case shares inputs with its last. */
static void RunSelectedCases(struct RankState* rs) {
  const struct Options* o = rs->opt;
  const int world = rs->shape.world;
  const int roots[3] = {0, world - 1, world / 2};
  int dtypes[NUM_DTYPES];
  DtypesWidestFirst(dtypes);
  for (int c = kAllReduce; c <= kReduce; ++c) {
    if (!Selected(o->collectives, c)) continue;
    const int reduction = c == kAllReduce || c == kReduceScatter || c == kReduce;
    const int rooted = c == kBroadcast || c == kReduce;
    const int placeable = c != kAllToAll && c != kAllToAllv; /* their buffers must not overlap */
    for (int di = 0; di < NUM_DTYPES; ++di) {
      const int d = dtypes[di];
      if (!Selected(o->dtypes, d)) continue;
      for (int k = 0; k < o->num_counts; ++k) {
        ++rs->salt;
        for (int i = 0; i < (reduction ? NUM_OPS : 1); ++i) {
          const int op = reduction ? kOpOrder[i] : ultraccSum;
          if (reduction && !Selected(o->ops, op)) continue;
          for (int in_place = 1; in_place >= 0; --in_place) {
            if (in_place && !placeable) continue;
            if (placeable && !Selected(o->placements, in_place ? 0 : 1)) continue;
            for (int ri = 0; ri < (rooted ? 3 : 1); ++ri) {
              if (ri > 0 && (roots[ri] == roots[0] || (ri == 2 && roots[2] == roots[1]))) continue;
              RunCaseOnEachComm(rs, c, d, op, o->counts[k], in_place, roots[ri]);
            }
          }
        }
      }
    }
  }
  if (!o->large) return;
  for (size_t i = 0; i < sizeof(kLargeCases) / sizeof(kLargeCases[0]); ++i) {
    if (!Selected(o->collectives, kLargeCases[i].collective)) continue;
    if (!Selected(o->dtypes, kLargeCases[i].dtype)) continue;
    ++rs->salt;
    RunCaseOnEachComm(rs, kLargeCases[i].collective, kLargeCases[i].dtype, kLargeCases[i].op,
                      o->large_count, kLargeCases[i].in_place, world - 1);
  }
}

void RunMatrix(struct RankState* rs) {
  RunSelectedCases(rs);
  ++rs->salt;
}
