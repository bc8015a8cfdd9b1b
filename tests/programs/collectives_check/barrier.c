/*
 * barrier.c — barrier cases of collectives_check. With ranks as threads, a shared counter shows
 * whether a rank left a barrier before every rank had entered it: rank 0 enters late on purpose.
 */
#include <stdio.h>
#include <time.h>

#include "check.h"
#include "verify.h"

#define BARRIER_ROUNDS 4

void RunBarriers(struct RankState* rs) {
  const int world = rs->shape.world;
  for (int round = 1; round <= BARRIER_ROUNDS; ++round) {
    char what[96];
    ultraccStream_t stream = (round % 2 == 0) ? rs->stream : NULL;
    snprintf(what, sizeof(what), "barrier round %d (%s stream)", round,
             stream ? "created" : "NULL");
    struct Verify v = {rs, what, 0};
    if (rs->rank == 0) {
      const struct timespec late = {0, 20 * 1000 * 1000};
      nanosleep(&late, NULL);
    }
    if (rs->arrivals != NULL) atomic_fetch_add(rs->arrivals, 1);
    if (ExpectSuccess(&v, ultraccBarrier(rs->comm, stream), stream) && rs->arrivals != NULL) {
      const long arrived = atomic_load(rs->arrivals);
      if (arrived < (long)world * round) {
        Report(rs, what, "left the barrier when %ld of %d ranks had entered it",
               arrived - (long)world * (round - 1), world);
        ++v.wrong;
      }
    }
    FinishCase(&v);
  }
}
