/*
 * invalid.c — invalid input of collectives_check: every call must return ultraccInvalidArgument or
 * ultraccInvalidUsage with a message naming the argument, without consuming a place in the
 * operation order (a valid all-reduce afterwards still matches across ranks). Also ranks that
 * disagree on a count, which must fail on every rank rather than hang.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "verify.h"

#define BAD_DTYPE ((ultraccDataType_t)99)
#define BAD_OP ((ultraccRedOp_t)99)

/* Reports unless `result` is `want` and the last error of `comm` mentions `word`. */
static void ExpectRejected(struct RankState* rs, const char* what, ultraccResult_t result,
                           ultraccResult_t want, ultraccComm_t comm, const char* word) {
  struct Verify v = {rs, what, 0};
  const char* message = ultraccGetLastError(comm);
  if (result != want) {
    Report(rs, what, "returned %s (%d), expected %s; last error: %s", ultraccGetErrorString(result),
           (int)result, ultraccGetErrorString(want), message);
    ++v.wrong;
  } else if (strstr(message, word) == NULL) {
    Report(rs, what, "the last error does not name '%s': \"%s\"", word, message);
    ++v.wrong;
  }
  FinishCase(&v);
}

void RunInvalid(struct RankState* rs) {
  const int world = rs->shape.world;
  ultraccComm_t comm = rs->comm;
  const ultraccResult_t arg = ultraccInvalidArgument, usage = ultraccInvalidUsage;
  const ultraccDataType_t f32 = ultraccFloat32;
  float buf[64] = {0};
  size_t counts[256] = {0}, displs[256] = {0};

  ExpectRejected(rs, "all-reduce with NULL sendbuff",
                 ultraccAllReduce(NULL, buf, 5, f32, ultraccSum, comm, NULL), arg, comm,
                 "sendbuff");
  ExpectRejected(rs, "all-reduce with NULL recvbuff",
                 ultraccAllReduce(buf, NULL, 5, f32, ultraccSum, comm, rs->stream), arg, comm,
                 "recvbuff");
  ExpectRejected(rs, "all-reduce with datatype 99",
                 ultraccAllReduce(buf, buf, 5, BAD_DTYPE, ultraccSum, comm, NULL), arg, comm,
                 "datatype");
  ExpectRejected(rs, "all-reduce with op 99",
                 ultraccAllReduce(buf, buf, 5, f32, BAD_OP, comm, NULL), arg, comm, "op");
  ExpectRejected(rs, "reduce-scatter with op -1",
                 ultraccReduceScatter(buf, buf, 1, f32, (ultraccRedOp_t)-1, comm, NULL), arg, comm,
                 "op");
  ExpectRejected(rs, "all-gather with NULL sendbuff",
                 ultraccAllGather(NULL, buf, 1, f32, comm, NULL), arg, comm, "sendbuff");
  ExpectRejected(rs, "all-to-all with datatype -3",
                 ultraccAllToAll(buf, buf, 1, (ultraccDataType_t)-3, comm, NULL), arg, comm,
                 "datatype");
  ExpectRejected(rs, "all-to-allv with NULL sendcounts",
                 ultraccAllToAllv(buf, NULL, displs, buf, counts, displs, f32, comm, NULL), arg,
                 comm, "sendcounts");
  ExpectRejected(rs, "all-to-allv with NULL rdispls",
                 ultraccAllToAllv(buf, counts, displs, buf, counts, NULL, f32, comm, NULL), arg,
                 comm, "rdispls");
  ExpectRejected(rs, "broadcast with root == nranks",
                 ultraccBroadcast(buf, buf, 1, f32, world, comm, NULL), arg, comm, "root");
  ExpectRejected(rs, "broadcast with root -1", ultraccBroadcast(buf, buf, 1, f32, -1, comm, NULL),
                 arg, comm, "root");
  ExpectRejected(rs, "reduce with root nranks + 5",
                 ultraccReduce(buf, buf, 1, f32, ultraccSum, world + 5, comm, NULL), arg, comm,
                 "root");
  ExpectRejected(rs, "send to peer nranks", ultraccSend(buf, 1, f32, world, comm, NULL), arg, comm,
                 "peer");
  ExpectRejected(rs, "recv from peer -1", ultraccRecv(buf, 1, f32, -1, comm, NULL), arg, comm,
                 "peer");
  ExpectRejected(rs, "send with NULL sendbuff", ultraccSend(NULL, 3, f32, 0, comm, NULL), arg, comm,
                 "sendbuff");
  ExpectRejected(rs, "recv with datatype 99", ultraccRecv(buf, 3, BAD_DTYPE, 0, comm, NULL), arg,
                 comm, "datatype");
  ExpectRejected(rs, "all-reduce on a NULL comm",
                 ultraccAllReduce(buf, buf, 1, f32, ultraccSum, NULL, NULL), arg, NULL, "comm");
  ExpectRejected(rs, "ultraccCommCount with NULL count", ultraccCommCount(comm, NULL), arg, comm,
                 "count");
  ExpectRejected(rs, "ultraccGroupEnd without ultraccGroupStart", ultraccGroupEnd(), usage, NULL,
                 "GroupStart");
  ultraccComm_t unused = NULL;
  ExpectRejected(rs, "split with color -5", ultraccCommSplit(comm, -5, 0, &unused), arg, comm,
                 "color");

  /* Inside a group, a rejected call is not queued: the group issues nothing else. */
  ultraccGroupStart();
  ExpectRejected(rs, "all-reduce with datatype 99 in a group",
                 ultraccAllReduce(buf, buf, 5, BAD_DTYPE, ultraccSum, comm, NULL), arg, comm,
                 "datatype");
  ExpectRejected(rs, "split inside a group", ultraccCommSplit(comm, 0, 0, &unused), usage, comm,
                 "group");
  struct Verify v = {rs, "ultraccGroupEnd after a rejected call", 0};
  ExpectSuccess(&v, ultraccGroupEnd(), NULL);
  FinishCase(&v);

  struct Verify zero = {rs, "all-reduce of 0 elements with NULL buffers", 0};
  ExpectSuccess(&zero, ultraccAllReduce(NULL, NULL, 0, f32, ultraccSum, comm, NULL), NULL);
  FinishCase(&zero);
  /* The rejected calls took no sequence number: this still pairs up across ranks. */
  RunCase(rs, kAllReduce, ultraccInt32, ultraccSum, 7, 0, 0);
  ++rs->salt;
}

void RunMismatch(struct RankState* rs) {
  char what[96];
  const size_t count = 1000 + (size_t)rs->rank;
  snprintf(what, sizeof(what), "all-reduce where rank %d passes count %zu", rs->rank, count);
  struct Verify v = {rs, what, 0};
  struct Buffer b;
  AllocBuffer(&b, ultraccFloat32, count, 0);
  ultraccResult_t r =
      ultraccAllReduce(b.p, b.p, count, ultraccFloat32, ultraccSum, rs->comm, rs->stream);
  if (r == ultraccSuccess) r = ultraccStreamSynchronize(rs->stream);
  if (rs->shape.world > 1 && r != ultraccInvalidUsage && r != ultraccInvalidArgument) {
    Report(rs, what, "returned %s (%d), expected invalid usage or argument; last error: %s",
           ultraccGetErrorString(r), (int)r, ultraccGetLastError(rs->comm));
    ++v.wrong;
  } else if (rs->shape.world > 1 && strstr(ultraccGetLastError(rs->comm), "count") == NULL) {
    Report(rs, what, "the last error does not name the count: \"%s\"",
           ultraccGetLastError(rs->comm));
    ++v.wrong;
  }
  FreeBuffer(&b);
  FinishCase(&v);
}
