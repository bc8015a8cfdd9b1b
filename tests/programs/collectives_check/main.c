/*
 * collectives_check: runs the collective family through the public C API (ultracc.h only) and
 * checks every element against a reference computed locally; the acceptance matrix of the
 * collective family.
 *
 *   daemon mode (default; started by `ultracc launch`): collectives_check [options]
 *   embedded mode: collectives_check --threads N [options]
 *     N threads of this process are the ranks, each with its own ultraccCommInitRank.
 *
 * Options (lists are comma separated; "all" selects everything):
 *   --collectives allreduce,reducescatter,allgather,alltoall,alltoallv,broadcast,reduce,barrier,
 *                 sendrecv,split,invalid,mismatch
 *                 (default: all but mismatch, which leaves the communicator broken)
 *   --dtypes int8,...,f8e5m2   --ops sum,prod,max,min,avg   --placements in,out
 *   --counts 0,1,7,1000|none   --large (adds 2^20 + 3 elements on a subset covering every
 *                              collective and dtype)  --large-count N
 *   --algorithms auto,ring,rhd,...  (embedded mode: the matrix runs on one communicator per
 *                 algorithm, forced with ultraccCommInitRankConfig, each case on each in turn)
 *   --timeout S  (default 600: the process gives up after S seconds, so nothing hangs)
 *   --max-lines L (failure lines printed per rank, default 20)
 * Exits 0 when every case passed, 1 otherwise, 2 on bad options. ULTRACC_TIMEOUT_MS defaults to
 * 60000 here so that a stuck operation fails long before the CTest timeout.
 */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "shared_expected.h"

const char* const kCollectiveNames[kNumCollectives] = {
    "allreduce", "reducescatter", "allgather", "alltoall", "alltoallv", "broadcast",
    "reduce",    "barrier",       "sendrecv",  "split",    "invalid",   "mismatch"};

static pthread_mutex_t g_print_mu = PTHREAD_MUTEX_INITIALIZER;

void Report(struct RankState* rs, const char* what, const char* format, ...) {
  if (rs->tally->lines >= rs->opt->max_lines) return;
  ++rs->tally->lines;
  char detail[1024];
  va_list args;
  va_start(args, format);
  vsnprintf(detail, sizeof(detail), format, args);
  va_end(args);
  pthread_mutex_lock(&g_print_mu);
  printf("FAIL rank %d/%d %s: %s: %s\n", rs->rank, rs->shape.world, rs->label, what, detail);
  pthread_mutex_unlock(&g_print_mu);
}

static void Usage(const char* message, const char* value) {
  fprintf(stderr, "collectives_check: %s%s\n", message, value);
  exit(2);
}

/* A comma-separated list of names (or "all") as a bit set over `names`. */
static unsigned ParseSet(const char* list, int n, const char* (*name_of)(int)) {
  if (strcmp(list, "all") == 0) return (1u << n) - 1;
  char copy[512];
  snprintf(copy, sizeof(copy), "%s", list);
  unsigned set = 0;
  for (char* item = strtok(copy, ","); item != NULL; item = strtok(NULL, ",")) {
    int found = -1;
    for (int i = 0; i < n; ++i) {
      if (strcmp(name_of(i), item) == 0) found = i;
    }
    if (found < 0) Usage("unknown name: ", item);
    set |= 1u << found;
  }
  return set;
}

static const char* CollectiveName(int i) { return kCollectiveNames[i]; }
static const char* DtypeName(int i) { return Dtype(i)->name; }
static const char* PlacementName(int i) { return i == 0 ? "in" : "out"; }

static void ParseOptions(int argc, char** argv, struct Options* o) {
  static const size_t kDefaultCounts[] = {0, 1, 7, 1000};
  memset(o, 0, sizeof(*o));
  o->collectives = ((1u << kNumCollectives) - 1) & ~(1u << kMismatch);
  o->dtypes = (1u << NUM_DTYPES) - 1;
  o->ops = (1u << NUM_OPS) - 1;
  o->placements = 3;
  o->num_counts = 4;
  memcpy(o->counts, kDefaultCounts, sizeof(kDefaultCounts));
  o->large_count = ((size_t)1 << 20) + 3;
  o->timeout_s = 600;
  o->max_lines = 20;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (strcmp(a, "--large") == 0) {
      o->large = 1;
      continue;
    }
    if (i + 1 >= argc) Usage("unknown option or missing value: ", a);
    const char* v = argv[++i];
    if (strcmp(a, "--threads") == 0) {
      o->threads = atoi(v);
      if (o->threads < 1) Usage("--threads needs a positive count, not ", v);
    } else if (strcmp(a, "--collectives") == 0) {
      o->collectives = ParseSet(v, kNumCollectives, CollectiveName);
    } else if (strcmp(a, "--dtypes") == 0) {
      o->dtypes = ParseSet(v, NUM_DTYPES, DtypeName);
    } else if (strcmp(a, "--ops") == 0) {
      o->ops = ParseSet(v, NUM_OPS, OpName);
    } else if (strcmp(a, "--placements") == 0) {
      o->placements = ParseSet(v, 2, PlacementName);
    } else if (strcmp(a, "--counts") == 0) {
      char copy[512];
      snprintf(copy, sizeof(copy), "%s", v);
      o->num_counts = 0;
      if (strcmp(v, "none") == 0) continue;
      for (char* item = strtok(copy, ","); item != NULL; item = strtok(NULL, ",")) {
        if (o->num_counts == MAX_COUNTS) Usage("too many counts: ", v);
        o->counts[o->num_counts++] = (size_t)strtoull(item, NULL, 0);
      }
    } else if (strcmp(a, "--large-count") == 0) {
      o->large_count = (size_t)strtoull(v, NULL, 0);
    } else if (strcmp(a, "--algorithms") == 0) {
      static char names[512];
      snprintf(names, sizeof(names), "%s", v);
      o->num_algorithms = 0;
      for (char* item = strtok(names, ","); item != NULL; item = strtok(NULL, ",")) {
        if (o->num_algorithms == MAX_ALGORITHMS) Usage("too many algorithms: ", v);
        o->algorithms[o->num_algorithms++] = item;
      }
    } else if (strcmp(a, "--timeout") == 0) {
      o->timeout_s = atoi(v);
    } else if (strcmp(a, "--max-lines") == 0) {
      o->max_lines = atoi(v);
    } else {
      Usage("unknown option ", a);
    }
  }
  if (o->num_algorithms > 0 && o->threads == 0) Usage("--algorithms needs --threads", "");
}

static void OnTimeout(int signal_number) {
  static const char kMessage[] =
      "collectives_check: FAIL: still running at the --timeout; "
      "giving up (a collective hangs?)\n";
  (void)signal_number;
  ssize_t ignored = write(STDOUT_FILENO, kMessage, sizeof(kMessage) - 1);
  (void)ignored;
  _exit(1);
}

static void RunAll(struct RankState* rs) {
  const unsigned c = rs->opt->collectives;
  RunMatrix(rs);
  if (c & (1u << kBarrier)) RunBarriers(rs);
  if (c & (1u << kSendRecv)) RunSendRecv(rs);
  if (c & (1u << kSplit)) RunSplit(rs);
  if (c & (1u << kInvalid)) RunInvalid(rs);
  if (c & (1u << kMismatch)) RunMismatch(rs);
}

/* Runs every selected case as one rank of `comm`, then releases it; returns the failures. */
static long RunRank(ultraccComm_t comm, const ultraccComm_t* algorithm_comms,
                    const struct Options* o, int chips, atomic_long* arrivals,
                    struct SharedExpected* shared) {
  struct Tally tally = {0, 0, 0};
  struct RankState rs;
  memset(&rs, 0, sizeof(rs));
  rs.comm = comm;
  rs.opt = o;
  rs.tally = &tally;
  rs.label = "world";
  rs.arrivals = arrivals;
  rs.shared = shared;
  ultraccCommUserRank(comm, &rs.rank);
  ultraccCommCount(comm, &rs.shape.world);
  rs.shape.chips = chips;
  rs.shape.nodes = rs.shape.world / chips;
  for (int k = 0; algorithm_comms != NULL && k < o->num_algorithms; ++k) {
    rs.algorithm_comms[k] = algorithm_comms[k];
    snprintf(rs.algorithm_labels[k], sizeof(rs.algorithm_labels[k]), "world (algorithm %s)",
             o->algorithms[k]);
  }
  rs.num_algorithm_comms = algorithm_comms != NULL ? o->num_algorithms : 0;
  if (ultraccStreamCreate(&rs.stream) != ultraccSuccess) {
    Report(&rs, "setup", "ultraccStreamCreate failed: %s", ultraccGetLastError(NULL));
    return 1;
  }
  RunAll(&rs);
  ReleasePooledBuffers();
  ReleaseKeptExpected();
  ultraccStreamDestroy(rs.stream);
  for (int k = 0; k < rs.num_algorithm_comms; ++k) {
    const ultraccResult_t destroyed = ultraccCommDestroy(rs.algorithm_comms[k]);
    if (destroyed != ultraccSuccess) {
      Report(&rs, rs.algorithm_labels[k], "ultraccCommDestroy: %s (%d): %s",
             ultraccGetErrorString(destroyed), (int)destroyed, ultraccGetLastError(NULL));
      tally.failures++;
    }
  }
  ultraccResult_t r =
      (o->collectives & (1u << kMismatch)) ? ultraccCommAbort(comm) : ultraccCommDestroy(comm);
  if (r != ultraccSuccess) {
    Report(&rs, "teardown", "%s (%d): %s", ultraccGetErrorString(r), (int)r,
           ultraccGetLastError(NULL));
    tally.failures++;
  }
  pthread_mutex_lock(&g_print_mu);
  printf("collectives_check: rank %d of %d: %s (%ld of %ld cases failed)\n", rs.rank,
         rs.shape.world, tally.failures ? "FAILED" : "OK", tally.failures, tally.cases);
  pthread_mutex_unlock(&g_print_mu);
  return tally.failures;
}

struct ThreadArgs {
  const struct Options* opt;
  ultraccUniqueId id;
  const ultraccUniqueId* algorithm_ids; /* one per Options.algorithms */
  int rank;
  atomic_long* arrivals;
  struct SharedExpected* shared;
  long failures;
};

static void* RankThread(void* p) {
  struct ThreadArgs* t = p;
  ultraccComm_t comm = NULL;
  ultraccResult_t r = ultraccCommInitRank(&comm, t->opt->threads, t->id, t->rank);
  if (r != ultraccSuccess) {
    printf("FAIL rank %d: ultraccCommInitRank: %s: %s\n", t->rank, ultraccGetErrorString(r),
           ultraccGetLastError(NULL));
    t->failures = 1;
    return NULL;
  }
  ultraccComm_t algorithm_comms[MAX_ALGORITHMS];
  for (int k = 0; k < t->opt->num_algorithms; ++k) {
    ultraccConfig_t config = ULTRACC_CONFIG_INITIALIZER;
    config.algorithm = t->opt->algorithms[k];
    r = ultraccCommInitRankConfig(&algorithm_comms[k], t->opt->threads, t->algorithm_ids[k],
                                  t->rank, &config);
    if (r != ultraccSuccess) {
      printf("FAIL rank %d: ultraccCommInitRankConfig (algorithm %s): %s: %s\n", t->rank,
             t->opt->algorithms[k], ultraccGetErrorString(r), ultraccGetLastError(NULL));
      t->failures = 1;
      return NULL;
    }
  }
  t->failures = RunRank(comm, algorithm_comms, t->opt, 1, t->arrivals, t->shared);
  return NULL;
}

int main(int argc, char** argv) {
  struct Options o;
  ParseOptions(argc, argv, &o);
  setvbuf(stdout, NULL, _IOLBF, 0);
  setenv("ULTRACC_TIMEOUT_MS", "60000", 0);
  signal(SIGALRM, OnTimeout);
  alarm((unsigned)o.timeout_s);

  long failures = 0;
  if (o.threads > 0) {
    ultraccUniqueId id;
    if (ultraccGetUniqueId(&id) != ultraccSuccess) {
      printf("FAIL: ultraccGetUniqueId: %s\n", ultraccGetLastError(NULL));
      return 1;
    }
    ultraccUniqueId algorithm_ids[MAX_ALGORITHMS];
    for (int k = 0; k < o.num_algorithms; ++k) {
      if (ultraccGetUniqueId(&algorithm_ids[k]) != ultraccSuccess) {
        printf("FAIL: ultraccGetUniqueId: %s\n", ultraccGetLastError(NULL));
        return 1;
      }
    }
    static atomic_long arrivals;
    size_t max_count = o.large ? o.large_count : 0;
    for (int k = 0; k < o.num_counts; ++k) {
      if (o.counts[k] > max_count) max_count = o.counts[k];
    }
    struct SharedExpected* shared = NULL;
    if (o.threads > 1 && (shared = SharedExpectedCreate(o.threads, max_count)) == NULL) {
      printf("FAIL: no memory for the expected outputs of %zu elements\n", max_count);
      return 1;
    }
    struct ThreadArgs* args = calloc((size_t)o.threads, sizeof(*args));
    pthread_t* threads = calloc((size_t)o.threads, sizeof(*threads));
    for (int r = 0; r < o.threads; ++r) {
      args[r] = (struct ThreadArgs){&o, id, algorithm_ids, r, &arrivals, shared, 0};
      if (pthread_create(&threads[r], NULL, RankThread, &args[r]) != 0) {
        printf("FAIL: pthread_create failed\n");
        return 1;
      }
    }
    for (int r = 0; r < o.threads; ++r) {
      pthread_join(threads[r], NULL);
      failures += args[r].failures;
    }
    free(threads);
    free(args);
    SharedExpectedDestroy(shared);
  } else {
    ultraccComm_t comm = NULL;
    ultraccResult_t r = ultraccCommInitFromEnv(&comm);
    if (r != ultraccSuccess) {
      printf("FAIL: ultraccCommInitFromEnv: %s: %s\n", ultraccGetErrorString(r),
             ultraccGetLastError(NULL));
      return 1;
    }
    /* The launcher's ranks per node: the error bound depends on the node layout. */
    const char* local_size = getenv("ULTRACC_LOCAL_SIZE");
    const int chips = local_size != NULL && atoi(local_size) > 0 ? atoi(local_size) : 1;
    failures = RunRank(comm, NULL, &o, chips, NULL, NULL);
  }
  return failures == 0 ? 0 : 1;
}
