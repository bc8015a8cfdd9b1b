/*
 * fault_rank: a rank for the fault tests, written against ultracc.h only. It all-reduces 1024
 * floats in a loop and behaves as a test asks, printing one line per event:
 *
 *   daemon mode (started by `ultracc launch`):  fault_rank [options]
 *   embedded mode: fault_rank --embedded --rank R --nranks N --id-file PATH [options]
 *     (rank 0 writes the unique id to PATH and stays until every rank wrote PATH.done.R)
 *
 *   --ops N              all-reduces to run (0: until one fails); "fault_rank: rank R: op K done"
 *   --pid-dir DIR        write "PID PPID" to DIR/rank-R.pid once the communicator exists
 *   --mismatch count|op  op 1: rank --odd-rank (default: the last) passes count 2048 instead of
 *                        1024, or max instead of sum. Every rank must get ultraccInvalidUsage
 *                        ("fault_rank: rank R: mismatch: MESSAGE"); the next all-reduce must
 *                        still succeed (the links stay clean)
 *   --sleep-rank R --sleep-ms MS --sleep-before-op K
 *                        rank R sleeps MS before all-reduce K (a rank that is behind); K = 0:
 *                        before creating its communicator (a rank that is late to join)
 *   --timeout-ms MS      waits for the id file and the other ranks (default 30000)
 *   --linger-ms MS       a rank whose all-reduce failed waits MS before it exits, so that a
 *                        launcher stopping the job does not cut the others' reports short
 *
 * A failed call prints "fault_rank: rank R: op K failed: NAME (CODE): MESSAGE" and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ultracc.h"

#define COUNT 1024

struct Options {
  int embedded, rank, nranks, ops, odd_rank, sleep_rank, sleep_before_op;
  long sleep_ms, timeout_ms, linger_ms;
  const char *id_file, *pid_dir, *mismatch;
};

static int g_rank = -1;
static char g_done_path[4096];

static void SleepMs(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

static void WriteFile(const char* path, const void* bytes, size_t size) {
  char tmp[4200];
  snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
  FILE* f = fopen(tmp, "wb");
  if (f == NULL || fwrite(bytes, 1, size, f) != size || fclose(f) != 0 || rename(tmp, path) != 0) {
    fprintf(stderr, "fault_rank: rank %d: cannot write %s\n", g_rank, path);
    _exit(1);
  }
}

static int AwaitFile(const char* path, void* bytes, size_t size, long timeout_ms) {
  for (long waited = 0; waited < timeout_ms; waited += 10) {
    FILE* f = fopen(path, "rb");
    if (f != NULL) {
      size_t got = bytes != NULL ? fread(bytes, 1, size, f) : size;
      fclose(f);
      if (got == size) return 1;
    }
    SleepMs(10);
  }
  return 0;
}

static void ReportDone(void) { WriteFile(g_done_path, "done\n", 5); }

static void Check(ultraccResult_t r, const char* call, ultraccComm_t comm) {
  if (r == ultraccSuccess) return;
  printf("fault_rank: rank %d: %s failed: %s (%d): %s\n", g_rank, call, ultraccGetErrorString(r),
         (int)r, ultraccGetLastError(comm));
  exit(1);
}

static void ParseOptions(int argc, char** argv, struct Options* o) {
  memset(o, 0, sizeof(*o));
  o->rank = o->odd_rank = o->sleep_rank = -1;
  o->ops = 1;
  o->timeout_ms = 30000;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (strcmp(a, "--embedded") == 0) {
      o->embedded = 1;
      continue;
    }
    const char* v = i + 1 < argc ? argv[++i] : NULL;
    if (v == NULL) {
      fprintf(stderr, "fault_rank: %s needs a value\n", a);
      exit(2);
    }
    if (strcmp(a, "--rank") == 0)
      o->rank = atoi(v);
    else if (strcmp(a, "--nranks") == 0)
      o->nranks = atoi(v);
    else if (strcmp(a, "--id-file") == 0)
      o->id_file = v;
    else if (strcmp(a, "--ops") == 0)
      o->ops = atoi(v);
    else if (strcmp(a, "--pid-dir") == 0)
      o->pid_dir = v;
    else if (strcmp(a, "--mismatch") == 0)
      o->mismatch = v;
    else if (strcmp(a, "--odd-rank") == 0)
      o->odd_rank = atoi(v);
    else if (strcmp(a, "--sleep-rank") == 0)
      o->sleep_rank = atoi(v);
    else if (strcmp(a, "--sleep-ms") == 0)
      o->sleep_ms = atol(v);
    else if (strcmp(a, "--sleep-before-op") == 0)
      o->sleep_before_op = atoi(v);
    else if (strcmp(a, "--timeout-ms") == 0)
      o->timeout_ms = atol(v);
    else if (strcmp(a, "--linger-ms") == 0)
      o->linger_ms = atol(v);
    else {
      fprintf(stderr, "fault_rank: unknown option %s\n", a);
      exit(2);
    }
  }
  if (o->mismatch != NULL && strcmp(o->mismatch, "count") != 0 && strcmp(o->mismatch, "op") != 0) {
    fprintf(stderr, "fault_rank: --mismatch is count or op, not %s\n", o->mismatch);
    exit(2);
  }
  if (o->embedded && (o->rank < 0 || o->nranks < 1 || o->rank >= o->nranks || !o->id_file)) {
    fprintf(stderr, "fault_rank: --embedded needs --rank R --nranks N --id-file PATH\n");
    exit(2);
  }
}

static ultraccComm_t Init(const struct Options* o) {
  ultraccComm_t comm = NULL;
  if (!o->embedded) {
    Check(ultraccCommInitFromEnv(&comm), "ultraccCommInitFromEnv", NULL);
    return comm;
  }
  ultraccUniqueId id;
  if (o->rank == 0) {
    Check(ultraccGetUniqueId(&id), "ultraccGetUniqueId", NULL);
    WriteFile(o->id_file, &id, sizeof(id));
  } else if (!AwaitFile(o->id_file, &id, sizeof(id), o->timeout_ms)) {
    printf("fault_rank: rank %d: no unique id in %s\n", o->rank, o->id_file);
    exit(1);
  }
  Check(ultraccCommInitRank(&comm, o->nranks, id, o->rank), "ultraccCommInitRank", NULL);
  return comm;
}

int main(int argc, char** argv) {
  struct Options o;
  ParseOptions(argc, argv, &o);
  setvbuf(stdout, NULL, _IOLBF, 0);
  g_rank = o.rank;
  if (o.sleep_before_op == 0 && o.sleep_rank >= 0) {
    const char* env_rank = getenv("ULTRACC_RANK");
    const int me = o.embedded ? o.rank : env_rank != NULL ? atoi(env_rank) : -1;
    if (me == o.sleep_rank) SleepMs(o.sleep_ms);
  }
  ultraccComm_t comm = Init(&o);
  int rank = -1, nranks = 0;
  Check(ultraccCommUserRank(comm, &rank), "ultraccCommUserRank", comm);
  Check(ultraccCommCount(comm, &nranks), "ultraccCommCount", comm);
  g_rank = rank;
  if (o.embedded && rank != 0) {
    snprintf(g_done_path, sizeof(g_done_path), "%s.done.%d", o.id_file, rank);
    atexit(ReportDone);
  }
  if (o.pid_dir != NULL) {
    char path[4096], line[64];
    snprintf(path, sizeof(path), "%s/rank-%d.pid", o.pid_dir, rank);
    int n = snprintf(line, sizeof(line), "%d %d\n", (int)getpid(), (int)getppid());
    WriteFile(path, line, (size_t)n);
  }
  const int odd = o.odd_rank >= 0 ? o.odd_rank : nranks - 1;
  float* buffer = malloc(2 * COUNT * sizeof(float));
  for (size_t i = 0; i < 2 * COUNT; ++i) buffer[i] = (float)rank;

  int failed = 0;
  for (int k = 1; o.ops == 0 || k <= o.ops; ++k) {
    if (rank == o.sleep_rank && k == o.sleep_before_op) SleepMs(o.sleep_ms);
    size_t count = COUNT;
    ultraccRedOp_t op = ultraccSum;
    const int mismatched = k == 1 && o.mismatch != NULL;
    if (mismatched && rank == odd) {
      if (strcmp(o.mismatch, "count") == 0) count = 2 * COUNT;
      if (strcmp(o.mismatch, "op") == 0) op = ultraccMax;
    }
    ultraccResult_t r = ultraccAllReduce(buffer, buffer, count, ultraccFloat32, op, comm, NULL);
    if (mismatched) {
      printf("fault_rank: rank %d: mismatch: %s (%d): %s\n", rank, ultraccGetErrorString(r), (int)r,
             ultraccGetLastError(comm));
      if (r != ultraccInvalidUsage) failed = 1;
      continue;
    }
    if (r != ultraccSuccess) {
      printf("fault_rank: rank %d: op %d failed: %s (%d): %s\n", rank, k, ultraccGetErrorString(r),
             (int)r, ultraccGetLastError(comm));
      SleepMs(o.linger_ms);
      exit(1);
    }
    printf("fault_rank: rank %d: op %d done\n", rank, k);
  }
  free(buffer);
  /* After a mismatch the communicator keeps its first error, which ultraccCommDestroy returns. */
  ultraccResult_t destroyed = ultraccCommDestroy(comm);
  if (o.mismatch == NULL) Check(destroyed, "ultraccCommDestroy", NULL);
  if (o.embedded && rank == 0) {
    for (int r = 1; r < nranks; ++r) {
      char path[4096];
      snprintf(path, sizeof(path), "%s.done.%d", o.id_file, r);
      if (!AwaitFile(path, NULL, 0, o.timeout_ms)) {
        printf("fault_rank: rank 0: rank %d did not finish\n", r);
        failed = 1;
      }
    }
  }
  printf("fault_rank: rank %d: %s\n", rank, failed ? "FAILED" : "OK");
  return failed;
}
