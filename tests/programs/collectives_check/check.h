/*
 * check.h — what the parts of collectives_check share: the options, the per-rank state every case
 * runs with, failure reporting, and the entry points of each group of cases.
 */
#ifndef COLLECTIVES_CHECK_CHECK_H_
#define COLLECTIVES_CHECK_CHECK_H_

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "elements.h"
#include "reference.h"
#include "ultracc.h"

enum Collective {
  kAllReduce,
  kReduceScatter,
  kAllGather,
  kAllToAll,
  kAllToAllv,
  kBroadcast,
  kReduce,
  kBarrier,
  kSendRecv, /* groups of sends and receives (embedded mode) */
  kSplit,    /* split communicators (embedded mode) */
  kInvalid,  /* invalid arguments and usage */
  kMismatch, /* ranks passing different counts; leaves the communicator broken, so runs last */
  kNumCollectives
};

#define MAX_COUNTS 16
#define MAX_ALGORITHMS 8

struct Options {
  int threads; /* embedded mode with this many ranks as threads; 0 = daemon mode */
  unsigned collectives, dtypes, ops, placements; /* bit sets; placements: 1 in place, 2 out */
  size_t counts[MAX_COUNTS];
  int num_counts;
  int large; /* also the 2^20 + 3 subset */
  size_t large_count;
  int timeout_s;
  int max_lines; /* failure lines printed per rank */
  /* Embedded mode: the matrix runs on one communicator per name, each forcing that algorithm
   * through ultraccConfig_t, case by case, so the algorithms share each case's inputs and
   * expected outputs; none: on the world communicator (ULTRACC_ALGO decides). */
  const char* algorithms[MAX_ALGORITHMS];
  int num_algorithms;
};

/* Failures and printed lines of one rank, across the communicators it uses. */
struct Tally {
  long cases, failures;
  int lines;
};

/* One rank on one communicator. Every rank of the communicator runs the same sequence of cases,
 * so `salt` and `case_number` are the same on all of them. */
struct RankState {
  ultraccComm_t comm;
  int rank;
  struct Shape shape;
  ultraccStream_t stream;
  const struct Options* opt;
  struct Tally* tally;
  const char* label;     /* "world", "child", ... */
  atomic_long* arrivals; /* ranks that entered barriers, shared by the threads; or NULL */
  /* Expected outputs computed together by the thread-ranks of `comm`, or NULL: each rank then
   * computes what it checks. Only the whole world of embedded mode shares. */
  struct SharedExpected* shared;
  /* Seed of the inputs. Cases that differ only in op, placement or root share it, and with it
   * their inputs (Prod has its own), so thread-ranks copy them instead of generating them again. */
  uint32_t salt;
  uint32_t case_number; /* cases run so far; picks stream and buffer kinds */
  /* Options.algorithms' communicators (as `comm`, one forced algorithm each) and their labels. */
  ultraccComm_t algorithm_comms[MAX_ALGORITHMS];
  char algorithm_labels[MAX_ALGORITHMS][48];
  int num_algorithm_comms;
};

extern const char* const kCollectiveNames[kNumCollectives];

/* One line "FAIL rank R/W label: what: detail", while the rank's line budget lasts. */
void Report(struct RankState* rs, const char* what, const char* format, ...)
    __attribute__((format(printf, 3, 4)));

/* matrix.c: every selected collective x dtype x op x placement x count x root. */
void RunMatrix(struct RankState* rs);
/* One collective case with the inputs of rs->salt, which it leaves as it is; `root` is used by
 * broadcast and reduce. Returns 1 if it passed. */
int RunCase(struct RankState* rs, int collective, int dtype, int op, size_t count, int in_place,
            int root);
/* barrier.c */
void RunBarriers(struct RankState* rs);
/* point_to_point.c */
void RunSendRecv(struct RankState* rs);
/* split.c */
void RunSplit(struct RankState* rs);
/* invalid.c */
void RunInvalid(struct RankState* rs);
void RunMismatch(struct RankState* rs);

#endif /* COLLECTIVES_CHECK_CHECK_H_ */
