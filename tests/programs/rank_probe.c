/*
 * rank_probe: a stand-in rank for the launcher tests. It does not use the communicator; it shows
 * what a rank process sees and behaves as a test asks:
 *
 *   --pid-dir DIR        write "PID PPID" to DIR/rank-R.pid (R = $RANK), atomically
 *   --print-env          print "env NAME=VALUE" for each launcher variable, and one stderr line
 *   --fail-rank R        rank R exits with --fail-code (default 3) after --fail-after-ms (300),
 *                        and after --await-pids N pid files exist in --pid-dir (at most 20 s)
 *   --fail-signal N      the failing rank raises signal N instead of exiting
 *   --sleep-ms MS        every other rank sleeps this long, then exits 0 (default 0)
 *   --ignore-sigterm     ignore SIGTERM, so only SIGKILL stops it
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char* const kVariables[] = {
    "ULTRACC_RANK",       "ULTRACC_WORLD_SIZE",   "ULTRACC_LOCAL_RANK",
    "ULTRACC_LOCAL_SIZE", "ULTRACC_NODE_RANK",    "RANK",
    "WORLD_SIZE",         "LOCAL_RANK",           "LOCAL_WORLD_SIZE",
    "ULTRACC_JOB_ID",     "ULTRACC_DAEMON_SOCKET"};

static void SleepMs(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

static void WritePidFile(const char* dir, const char* rank) {
  char path[4096], tmp[4200];
  snprintf(path, sizeof(path), "%s/rank-%s.pid", dir, rank);
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  FILE* f = fopen(tmp, "w");
  if (f == NULL || fprintf(f, "%d %d\n", (int)getpid(), (int)getppid()) < 0 || fclose(f) != 0 ||
      rename(tmp, path) != 0) {
    fprintf(stderr, "rank_probe: cannot write %s\n", path);
    exit(1);
  }
}

static int CountPidFiles(const char* dir) {
  int count = 0;
  DIR* d = opendir(dir);
  if (d == NULL) return 0;
  for (struct dirent* e; (e = readdir(d)) != NULL;) {
    size_t n = strlen(e->d_name);
    if (n > 4 && strcmp(e->d_name + n - 4, ".pid") == 0) ++count;
  }
  closedir(d);
  return count;
}

int main(int argc, char** argv) {
  const char* pid_dir = NULL;
  int print_env = 0, ignore_sigterm = 0, fail_rank = -1, fail_code = 3, fail_signal = 0;
  int await_pids = 0;
  long fail_after_ms = 300, sleep_ms = 0;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : "";
    if (strcmp(a, "--print-env") == 0) {
      print_env = 1;
    } else if (strcmp(a, "--ignore-sigterm") == 0) {
      ignore_sigterm = 1;
    } else if (strcmp(a, "--pid-dir") == 0) {
      pid_dir = v, ++i;
    } else if (strcmp(a, "--fail-rank") == 0) {
      fail_rank = atoi(v), ++i;
    } else if (strcmp(a, "--fail-code") == 0) {
      fail_code = atoi(v), ++i;
    } else if (strcmp(a, "--fail-after-ms") == 0) {
      fail_after_ms = atol(v), ++i;
    } else if (strcmp(a, "--fail-signal") == 0) {
      fail_signal = atoi(v), ++i;
    } else if (strcmp(a, "--await-pids") == 0) {
      await_pids = atoi(v), ++i;
    } else if (strcmp(a, "--sleep-ms") == 0) {
      sleep_ms = atol(v), ++i;
    } else {
      fprintf(stderr, "rank_probe: unknown option %s\n", a);
      return 2;
    }
  }
  if (ignore_sigterm) signal(SIGTERM, SIG_IGN);
  const char* rank_text = getenv("RANK");
  if (rank_text == NULL) {
    fprintf(stderr, "rank_probe: RANK is not set\n");
    return 2;
  }
  int rank = atoi(rank_text);
  /* After the signal disposition is set, so a test that waits for the pid file knows it holds. */
  if (pid_dir != NULL) WritePidFile(pid_dir, rank_text);
  if (print_env) {
    for (size_t i = 0; i < sizeof(kVariables) / sizeof(kVariables[0]); ++i) {
      const char* value = getenv(kVariables[i]);
      printf("env %s=%s\n", kVariables[i], value != NULL ? value : "(unset)");
    }
    fflush(stdout);
    fprintf(stderr, "stderr of rank %d\n", rank);
  }
  if (rank == fail_rank) {
    for (int tries = 0; pid_dir != NULL && CountPidFiles(pid_dir) < await_pids && tries < 2000;
         ++tries) {
      SleepMs(10);
    }
    SleepMs(fail_after_ms);
    if (fail_signal != 0) {
      fprintf(stderr, "rank_probe: rank %d raises signal %d\n", rank, fail_signal);
      signal(fail_signal, SIG_DFL);
      raise(fail_signal);
    }
    fprintf(stderr, "rank_probe: rank %d exits with code %d\n", rank, fail_code);
    return fail_code;
  }
  SleepMs(sleep_ms);
  return 0;
}
