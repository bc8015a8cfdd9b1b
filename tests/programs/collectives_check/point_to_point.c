/*
 * point_to_point.c — sends and receives of collectives_check (embedded mode): a group of 64 sends
 * and 64 receives per rank among all peers and itself, on a NULL and on a created stream; a ring
 * shift; nested groups; a group mixing a collective with sends and receives.
 */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "ranges.h"
#include "verify.h"

#define GROUP_MESSAGES 64

/* Message m goes from rank r to rank (r + m % world) % world, so each rank talks to every peer
 * (itself included) several times; the k-th message of a pair has the same m on both sides. */
static int MessageDtype(int m) { return m % NUM_DTYPES; }
static size_t MessageCount(int m) { return m == 5 ? 100003 : (size_t)(m * 37) % 1001; }

static void ManyPairs(struct RankState* rs, ultraccStream_t stream) {
  const int world = rs->shape.world, rank = rs->rank;
  char what[96];
  snprintf(what, sizeof(what), "group of %d sends and %d receives (%s stream, case %u)",
           GROUP_MESSAGES, GROUP_MESSAGES, stream ? "created" : "NULL", (unsigned)rs->salt);
  struct Verify v = {rs, what, 0};
  struct Buffer send[GROUP_MESSAGES], recv[GROUP_MESSAGES];
  ultraccResult_t r = ultraccGroupStart();
  for (int m = 0; m < GROUP_MESSAGES; ++m) {
    const int d = m % world, dtype = MessageDtype(m);
    const size_t n = MessageCount(m);
    AllocBuffer(&send[m], dtype, n, m % 2);
    AllocBuffer(&recv[m], dtype, n, m % 3 == 0);
    FillInput(&send[m], ultraccSum, rank, 0, n, rs->salt + (uint32_t)m);
    if (r == ultraccSuccess) {
      r = ultraccSend(send[m].p, n, (ultraccDataType_t)dtype, (rank + d) % world, rs->comm, stream);
    }
    if (r == ultraccSuccess) {
      r = ultraccRecv(recv[m].p, n, (ultraccDataType_t)dtype, (rank - d + world) % world, rs->comm,
                      stream);
    }
  }
  ultraccResult_t end = ultraccGroupEnd();
  if (r == ultraccSuccess) r = end;
  if (ExpectSuccess(&v, r, stream)) {
    for (int m = 0; m < GROUP_MESSAGES; ++m) {
      const int from = (rank - m % world + world) % world, dtype = MessageDtype(m);
      char name[32];
      snprintf(name, sizeof(name), "message %d", m);
      for (size_t i = 0; i < recv[m].elems; ++i) {
        ExpectBits(&v, name, i, LoadBits(dtype, recv[m].p, i),
                   InputBits(dtype, ultraccSum, from, i, rs->salt + (uint32_t)m), dtype);
      }
      ExpectSentinel(&v, name, &recv[m], recv[m].elems, recv[m].elems + GUARD_ELEMENTS);
    }
  }
  for (int m = 0; m < GROUP_MESSAGES; ++m) {
    FreeBuffer(&send[m]);
    FreeBuffer(&recv[m]);
  }
  rs->salt += GROUP_MESSAGES;
  FinishCase(&v);
}

/* Every rank sends to rank + 1 and receives from rank - 1 in one group, nested one level deeper
 * when `nested`; with `with_collective`, an all-reduce joins the group. */
static void RingShift(struct RankState* rs, size_t n, int nested, int with_collective) {
  const int world = rs->shape.world, rank = rs->rank;
  const int dtype = ultraccFloat32, ar_dtype = ultraccInt32;
  const size_t ar_count = 7;
  char what[128];
  snprintf(what, sizeof(what), "ring shift of %zu floats%s%s (case %u)", n,
           nested ? " in nested groups" : "", with_collective ? " with an all-reduce" : "",
           (unsigned)rs->salt);
  struct Verify v = {rs, what, 0};
  struct Buffer send, recv, ar;
  AllocBuffer(&send, dtype, n, 1);
  AllocBuffer(&recv, dtype, n, 0);
  AllocBuffer(&ar, ar_dtype, ar_count, 0);
  FillInput(&send, ultraccSum, rank, 0, n, rs->salt);
  FillInput(&ar, ultraccSum, rank, 0, ar_count, rs->salt);
  ultraccResult_t r = ultraccGroupStart();
  if (r == ultraccSuccess && nested) r = ultraccGroupStart();
  if (r == ultraccSuccess) {
    r = ultraccSend(send.p, n, (ultraccDataType_t)dtype, (rank + 1) % world, rs->comm, NULL);
  }
  if (r == ultraccSuccess && nested) r = ultraccGroupEnd();
  if (r == ultraccSuccess && with_collective) {
    r = ultraccAllReduce(ar.p, ar.p, ar_count, (ultraccDataType_t)ar_dtype, ultraccSum, rs->comm,
                         NULL);
  }
  if (r == ultraccSuccess) {
    r = ultraccRecv(recv.p, n, (ultraccDataType_t)dtype, (rank - 1 + world) % world, rs->comm,
                    NULL);
  }
  ultraccResult_t end = ultraccGroupEnd();
  if (r == ultraccSuccess) r = end;
  if (ExpectSuccess(&v, r, NULL)) {
    const int from = (rank - 1 + world) % world;
    for (size_t i = 0; i < n; ++i) {
      ExpectBits(&v, "recvbuff", i, LoadBits(dtype, recv.p, i),
                 InputBits(dtype, ultraccSum, from, i, rs->salt), dtype);
    }
    ExpectSentinel(&v, "recvbuff", &recv, n, n + GUARD_ELEMENTS);
    for (size_t i = 0; with_collective && i < ar_count; ++i) {
      ExpectReduced(&v, "all-reduce recvbuff", i, LoadBits(ar_dtype, ar.p, i), ar_dtype, ultraccSum,
                    i);
    }
  }
  FreeBuffer(&ar);
  FreeBuffer(&recv);
  FreeBuffer(&send);
  ++rs->salt;
  FinishCase(&v);
}

void RunSendRecv(struct RankState* rs) {
  ManyPairs(rs, NULL);
  ManyPairs(rs, rs->stream);
  for (int i = 0; i < 3; ++i) RingShift(rs, 262147, 0, 0);
  RingShift(rs, 1000, 1, 0);
  RingShift(rs, 0, 0, 1);
  RingShift(rs, 7, 1, 1);
}
