/*
 * allreduce_check: all-reduces float32 buffers and checks every element against the exact
 * expected sum. Written in C against ultracc.h only, as an application would be; the
 * multi-process tests run it as the ranks of a job.
 *
 *   daemon mode (default; started by `ultracc launch`):  allreduce_check [options]
 *   embedded mode: allreduce_check --embedded --rank R --nranks N --id-file PATH [options]
 *     Rank 0 creates the unique id and writes it to PATH (to a temporary name, then renamed, so
 *     readers never see half an id); the others poll for it. Rank 0 hosts the rendezvous, so it
 *     stays alive until every other rank reported it finished (files PATH.done.R).
 *
 * Options: --counts 1,3,7,... (element counts; default 1 to 2^24 with odd counts)
 *          --buffers arena,malloc   --streams null,created   --placement in,out
 *          --timeout-ms MS (waits for the id file and for the other ranks; default 60000)
 *          --quit-rank R (rank R exits 0 right after joining, never finalizing: a lost peer)
 * Prints one line per failure and exits 1 on any mismatch or error; prints
 * "allreduce_check: rank R of N: OK (K cases)" on success.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ultracc.h"

#define MAX_COUNTS 64

static const size_t kDefaultCounts[] = {1, 3, 7, 1000, 65537, 1048577, (size_t)1 << 24};

struct Options {
  size_t counts[MAX_COUNTS];
  int num_counts;
  int use_arena, use_malloc;       /* buffers */
  int use_null, use_created;       /* streams */
  int use_in_place, use_out_place; /* placement */
  int embedded, rank, nranks, quit_rank;
  int repeat; /* passes over the cases; with more than one, stops at the first failure */
  const char* id_file;
  long timeout_ms;
};

static int g_rank = -1;
static char g_done_path[4096]; /* embedded ranks other than 0: written at exit, however it ends */

static void WriteFileAtomically(const char* path, const void* bytes, size_t size);
static void ReportDone(void) { WriteFileAtomically(g_done_path, "done\n", 5); }

static void Die(const char* what) {
  fprintf(stderr, "allreduce_check: rank %d: %s\n", g_rank, what);
  exit(1);
}

/* Exits on a failed call, printing the code and the library's detailed message. */
static void Check(ultraccResult_t r, const char* call, ultraccComm_t comm) {
  if (r == ultraccSuccess) return;
  fprintf(stderr, "allreduce_check: rank %d: %s failed: %s (%d): %s\n", g_rank, call,
          ultraccGetErrorString(r), (int)r, ultraccGetLastError(comm));
  exit(1);
}

static void SleepMs(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static long NowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sets the two flags named by a comma-separated list of `a_name` and `b_name`. */
static void ParsePair(const char* list, const char* a_name, int* a, const char* b_name, int* b) {
  char copy[256];
  snprintf(copy, sizeof(copy), "%s", list);
  *a = *b = 0;
  for (char* item = strtok(copy, ","); item != NULL; item = strtok(NULL, ",")) {
    if (strcmp(item, a_name) == 0) {
      *a = 1;
    } else if (strcmp(item, b_name) == 0) {
      *b = 1;
    } else {
      fprintf(stderr, "allreduce_check: '%s' is neither %s nor %s\n", item, a_name, b_name);
      exit(2);
    }
  }
}

static void ParseOptions(int argc, char** argv, struct Options* o) {
  memset(o, 0, sizeof(*o));
  o->num_counts = (int)(sizeof(kDefaultCounts) / sizeof(kDefaultCounts[0]));
  memcpy(o->counts, kDefaultCounts, sizeof(kDefaultCounts));
  o->use_arena = o->use_malloc = o->use_null = o->use_created = 1;
  o->use_in_place = o->use_out_place = 1;
  o->rank = -1;
  o->quit_rank = -1;
  o->repeat = 1;
  o->timeout_ms = 60000;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--embedded") == 0) {
      o->embedded = 1;
      continue;
    }
    if (v == NULL) {
      fprintf(stderr, "allreduce_check: unknown option or missing value: %s\n", a);
      exit(2);
    }
    ++i;
    if (strcmp(a, "--counts") == 0) {
      char copy[1024];
      snprintf(copy, sizeof(copy), "%s", v);
      o->num_counts = 0;
      for (char* item = strtok(copy, ","); item != NULL && o->num_counts < MAX_COUNTS;
           item = strtok(NULL, ",")) {
        o->counts[o->num_counts++] = (size_t)strtoull(item, NULL, 0);
      }
    } else if (strcmp(a, "--buffers") == 0) {
      ParsePair(v, "arena", &o->use_arena, "malloc", &o->use_malloc);
    } else if (strcmp(a, "--streams") == 0) {
      ParsePair(v, "null", &o->use_null, "created", &o->use_created);
    } else if (strcmp(a, "--placement") == 0) {
      ParsePair(v, "in", &o->use_in_place, "out", &o->use_out_place);
    } else if (strcmp(a, "--rank") == 0) {
      o->rank = atoi(v);
    } else if (strcmp(a, "--nranks") == 0) {
      o->nranks = atoi(v);
    } else if (strcmp(a, "--id-file") == 0) {
      o->id_file = v;
    } else if (strcmp(a, "--quit-rank") == 0) {
      o->quit_rank = atoi(v);
    } else if (strcmp(a, "--repeat") == 0) {
      o->repeat = atoi(v) > 0 ? atoi(v) : 1;
    } else if (strcmp(a, "--timeout-ms") == 0) {
      o->timeout_ms = atol(v);
    } else {
      fprintf(stderr, "allreduce_check: unknown option %s\n", a);
      exit(2);
    }
  }
  if (o->embedded && (o->rank < 0 || o->nranks < 1 || o->rank >= o->nranks || !o->id_file)) {
    fprintf(stderr, "allreduce_check: --embedded needs --rank R --nranks N --id-file PATH\n");
    exit(2);
  }
}

static void WriteFileAtomically(const char* path, const void* bytes, size_t size) {
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
  FILE* f = fopen(tmp, "wb");
  if (f == NULL || fwrite(bytes, 1, size, f) != size || fclose(f) != 0 || rename(tmp, path) != 0) {
    fprintf(stderr, "allreduce_check: rank %d: cannot write %s: %s\n", g_rank, path,
            strerror(errno));
    _exit(1);
  }
}

/* Waits for `path` to exist; reads `size` bytes of it into `bytes` when non-NULL. */
static int AwaitFile(const char* path, void* bytes, size_t size, long timeout_ms) {
  long give_up = NowMs() + timeout_ms;
  while (NowMs() < give_up) {
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

static ultraccComm_t InitEmbedded(const struct Options* o) {
  ultraccUniqueId id;
  if (o->rank == 0) {
    Check(ultraccGetUniqueId(&id), "ultraccGetUniqueId", NULL);
    WriteFileAtomically(o->id_file, &id, sizeof(id));
  } else if (!AwaitFile(o->id_file, &id, sizeof(id), o->timeout_ms)) {
    fprintf(stderr, "allreduce_check: rank %d: no unique id in %s after %ld ms\n", o->rank,
            o->id_file, o->timeout_ms);
    exit(1);
  }
  ultraccComm_t comm = NULL;
  Check(ultraccCommInitRank(&comm, o->nranks, id, o->rank), "ultraccCommInitRank", NULL);
  return comm;
}

/* Integers below 2^24 keep float sums exact in any reduction order; the pattern depends on both
 * the element and the rank, so a misplaced chunk or a missing contribution shows. */
static float InputValue(int rank, size_t i) {
  return (float)((i * 7 + (size_t)rank * 13) % 1009 + (size_t)rank);
}

static float ExpectedSum(int nranks, size_t i) {
  float sum = 0.0f;
  for (int r = 0; r < nranks; ++r) sum += InputValue(r, i);
  return sum;
}

/* Both repeat every PERIOD elements: one period of each, tabled once, makes filling and checking
 * 2^24 elements a walk instead of nranks modulos per element (which cost more than the job). */
#define PERIOD 1009
static float g_inputs[PERIOD], g_sums[PERIOD];

static void TableValues(int rank, int nranks) {
  for (size_t i = 0; i < PERIOD; ++i) {
    g_inputs[i] = InputValue(rank, i);
    g_sums[i] = ExpectedSum(nranks, i);
  }
}

/* Compares `result` with the expected sums; prints the first mismatch and the number wrong. */
static int Verify(const float* result, size_t count, int rank, int nranks, const char* what) {
  size_t wrong = 0, first = 0;
  for (size_t i = 0, j = 0; i < count; ++i, j = j + 1 == PERIOD ? 0 : j + 1) {
    if (result[i] != g_sums[j]) {
      if (wrong++ == 0) first = i;
    }
  }
  if (wrong == 0) return 0;
  printf("FAIL rank %d: %s: %zu of %zu elements wrong; element %zu is %.1f, expected %.1f\n", rank,
         what, wrong, count, first, (double)result[first], (double)ExpectedSum(nranks, first));
  return 1;
}

/* An out-of-place all-reduce must leave the send buffer as it was. */
static int VerifyUntouched(const float* send, size_t count, int rank, const char* what) {
  for (size_t i = 0, j = 0; i < count; ++i, j = j + 1 == PERIOD ? 0 : j + 1) {
    if (send[i] != g_inputs[j]) {
      printf("FAIL rank %d: %s: send buffer changed at element %zu (%.1f, was %.1f)\n", rank, what,
             i, (double)send[i], (double)InputValue(rank, i));
      return 1;
    }
  }
  return 0;
}

static float* Allocate(size_t count, int arena) {
  void* p = NULL;
  if (arena) {
    Check(ultraccMemAlloc(&p, count * sizeof(float)), "ultraccMemAlloc", NULL);
  } else if ((p = malloc(count * sizeof(float))) == NULL) {
    Die("malloc failed");
  }
  return (float*)p;
}

static void Release(float* p, int arena) {
  if (arena) {
    Check(ultraccMemFree(p), "ultraccMemFree", NULL);
  } else {
    free(p);
  }
}

/* Runs one case; returns the number of failures (0 or 1). */
static int RunCase(ultraccComm_t comm, ultraccStream_t stream, size_t count, int arena,
                   int in_place, int rank, int nranks) {
  char what[160];
  snprintf(what, sizeof(what), "count %zu, %s buffers, %s, %s stream", count,
           arena ? "ultraccMemAlloc" : "malloc", in_place ? "in place" : "out of place",
           stream ? "created" : "NULL");
  float* send = Allocate(count, arena);
  float* recv = in_place ? send : Allocate(count, arena);
  for (size_t i = 0, j = 0; i < count; ++i, j = j + 1 == PERIOD ? 0 : j + 1) send[i] = g_inputs[j];
  if (!in_place) {
    for (size_t i = 0; i < count; ++i) recv[i] = -1.0f;
  }
  ultraccResult_t r = ultraccAllReduce(send, recv, count, ultraccFloat32, ultraccSum, comm, stream);
  if (r == ultraccSuccess && stream != NULL) r = ultraccStreamSynchronize(stream);
  int failed = 0;
  if (r != ultraccSuccess) {
    printf("FAIL rank %d: %s: %s (%d): %s\n", rank, what, ultraccGetErrorString(r), (int)r,
           ultraccGetLastError(comm));
    failed = 1;
  } else {
    failed = Verify(recv, count, rank, nranks, what);
    if (!in_place && !failed) failed = VerifyUntouched(send, count, rank, what);
  }
  if (!in_place) Release(recv, arena);
  Release(send, arena);
  return failed;
}

int main(int argc, char** argv) {
  struct Options o;
  ParseOptions(argc, argv, &o);
  setvbuf(stdout, NULL, _IOLBF, 0);
  g_rank = o.rank;
  if (o.embedded && o.rank != 0) {
    snprintf(g_done_path, sizeof(g_done_path), "%s.done.%d", o.id_file, o.rank);
    atexit(ReportDone);
  }

  ultraccComm_t comm = NULL;
  if (o.embedded) {
    comm = InitEmbedded(&o);
  } else {
    Check(ultraccCommInitFromEnv(&comm), "ultraccCommInitFromEnv", NULL);
  }
  int rank = -1, nranks = 0;
  Check(ultraccCommUserRank(comm, &rank), "ultraccCommUserRank", comm);
  Check(ultraccCommCount(comm, &nranks), "ultraccCommCount", comm);
  g_rank = rank;
  if (o.embedded && (rank != o.rank || nranks != o.nranks)) Die("communicator rank/size mismatch");
  TableValues(rank, nranks);
  if (rank == o.quit_rank) {
    printf("allreduce_check: rank %d leaves without finalizing\n", rank);
    exit(0);
  }

  ultraccStream_t stream = NULL;
  if (o.use_created) Check(ultraccStreamCreate(&stream), "ultraccStreamCreate", comm);
  int failures = 0, cases = 0;
  for (int pass = 1; pass <= o.repeat && !(o.repeat > 1 && failures > 0); ++pass) {
    for (int c = 0; c < o.num_counts; ++c) {
      for (int arena = 1; arena >= 0; --arena) {
        if (!(arena ? o.use_arena : o.use_malloc)) continue;
        for (int in_place = 1; in_place >= 0; --in_place) {
          if (!(in_place ? o.use_in_place : o.use_out_place)) continue;
          for (int s = 0; s < 2; ++s) {
            if (!(s == 0 ? o.use_null : o.use_created)) continue;
            failures +=
                RunCase(comm, s == 0 ? NULL : stream, o.counts[c], arena, in_place, rank, nranks);
            ++cases;
          }
        }
      }
    }
    if (o.repeat > 1) printf("allreduce_check: rank %d: pass %d done\n", rank, pass);
  }
  if (stream != NULL) Check(ultraccStreamDestroy(stream), "ultraccStreamDestroy", comm);
  Check(ultraccCommDestroy(comm), "ultraccCommDestroy", NULL);

  if (o.embedded && rank == 0) {
    for (int r = 1; r < nranks; ++r) {
      char path[4096];
      snprintf(path, sizeof(path), "%s.done.%d", o.id_file, r);
      if (!AwaitFile(path, NULL, 0, o.timeout_ms)) {
        fprintf(stderr, "allreduce_check: rank 0: rank %d did not finish in %ld ms\n", r,
                o.timeout_ms);
        ++failures;
      }
    }
  }
  if (failures > 0) {
    printf("allreduce_check: rank %d of %d: %d of %d cases FAILED\n", rank, nranks, failures,
           cases);
    return 1;
  }
  printf("allreduce_check: rank %d of %d: OK (%d cases)\n", rank, nranks, cases);
  return 0;
}
