// ultracc_perf: collective benchmark in the layout of nccl-tests (all_reduce_perf and siblings),
// with Neuron nccom-test's op names, per-size p50/p99, JSON/CSV output and the algorithm column.
// Run it as the ranks of a job, through `ultracc bench COLLECTIVE ...` or
// `ultracc launch ... -- ultracc_perf COLLECTIVE ...`. Collectives go through the public C API
// only (ultracc.h), as an application's would. Built a second time as ultracc_allreduce_perf,
// whose default is a checked float all-reduce sweep.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tools/bench/algorithm_column.h"
#include "tools/bench/bench_options.h"
#include "tools/bench/bench_report.h"
#include "tools/bench/collective_case.h"
#include "tools/bench/sweep.h"
#include "ultracc.h"

namespace ultracc::bench {
namespace {

struct Job {
  ultraccComm_t comm = nullptr;
  ultraccStream_t stream = nullptr;  // null with -z 1
  int rank = 0;
  int nranks = 1;
  double* scratch = nullptr;  // 3 doubles in the rank's arena, for aggregating across ranks
};

// Whether the job's engines tune: `ultracc launch --topology` gives every daemon and rank
// ULTRACC_TOPOLOGY (the same spec `ultracc bench --topology` passes here as --topology).
bool EngineHasTopology() {
  const char* spec = std::getenv("ULTRACC_TOPOLOGY");
  return spec != nullptr && *spec != '\0';
}

void Check(ultraccResult_t result, const char* what, const Job& job) {
  if (result == ultraccSuccess) return;
  std::fprintf(stderr, "ultracc_perf: rank %d: %s failed: %s: %s\n", job.rank, what,
               ultraccGetErrorString(result), ultraccGetLastError(job.comm));
  std::exit(1);
}

void OnTimeout(int) {
  static const char kMessage[] = "ultracc_perf: -T timeout reached, aborting\n";
  ssize_t ignored = write(2, kMessage, sizeof(kMessage) - 1);
  (void)ignored;
  _exit(124);
}

// Mean, p50 and p99 of this rank, combined over ranks as -a says (every rank makes the same calls).
void Aggregate(Job& job, int average, double values[3]) {
  if (average == 0) return;  // rank 0's own figures
  for (int i = 0; i < 3; ++i) job.scratch[i] = values[i];
  ultraccRedOp_t op = average == 1 ? ultraccSum : average == 2 ? ultraccMin : ultraccMax;
  Check(ultraccAllReduce(job.scratch, job.scratch, 3, ultraccFloat64, op, job.comm, nullptr),
        "aggregating times", job);
  for (int i = 0; i < 3; ++i) values[i] = job.scratch[i] / (average == 1 ? job.nranks : 1);
}

long SumOverRanks(Job& job, long value) {
  job.scratch[0] = static_cast<double>(value);
  Check(
      ultraccAllReduce(job.scratch, job.scratch, 1, ultraccFloat64, ultraccSum, job.comm, nullptr),
      "summing #wrong", job);
  return static_cast<long>(job.scratch[0]);
}

void RunOnce(const CollectiveCase& c, void* send, void* recv, bool in_place, Job& job) {
  Check(c.Run(send, recv, in_place, job.comm, job.stream), "the collective", job);
  if (job.stream != nullptr) Check(ultraccStreamSynchronize(job.stream), "synchronize", job);
}

PlacementResult Measure(const CollectiveCase& c, void* send, void* recv, bool in_place,
                        const BenchOptions& o, Job& job) {
  c.Prepare(send, recv, in_place);
  for (int i = 0; i < o.warmup; ++i) RunOnce(c, send, recv, in_place, job);
  Check(ultraccBarrier(job.comm, nullptr), "barrier", job);
  std::vector<double> times;
  times.reserve(static_cast<size_t>(o.iters));
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  Clock::time_point last = start;
  for (int i = 0; i < o.iters; ++i) {
    RunOnce(c, send, recv, in_place, job);
    const Clock::time_point now = Clock::now();
    times.push_back(std::chrono::duration<double, std::micro>(now - last).count());
    last = now;
  }
  double stats[3] = {std::chrono::duration<double, std::micro>(last - start).count() / o.iters,
                     Percentile(times, 0.50), Percentile(times, 0.99)};
  Aggregate(job, o.average, stats);
  PlacementResult p;
  p.time_us = stats[0];
  p.p50_us = stats[1];
  p.p99_us = stats[2];
  p.algbw = static_cast<double>(c.size_bytes()) / (p.time_us * 1e-6) / 1e9;
  p.busbw = p.algbw * c.bus_factor();
  if (o.check > 0) {
    long wrong = 0;
    for (int k = 0; k < o.check; ++k) {
      c.Prepare(send, recv, in_place);
      RunOnce(c, send, recv, in_place, job);
      wrong += c.CountWrong(recv, in_place);
    }
    p.wrong = SumOverRanks(job, wrong);
  }
  return p;
}

int Main(int argc, char** argv, int default_check) {
  BenchOptions o;
  o.check = default_check;
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string error;
  if (!ParseBenchArgs(args, &o, &error)) {
    std::fprintf(stderr, "%s: %s\n", argv[0], error.c_str());
    return 2;
  }
  if (o.timeout_s > 0) {
    signal(SIGALRM, OnTimeout);
    alarm(static_cast<unsigned>(std::max(1.0, o.timeout_s)));
  }

  Job job;
  Check(ultraccCommInitFromEnv(&job.comm), "ultraccCommInitFromEnv", job);
  Check(ultraccCommUserRank(job.comm, &job.rank), "ultraccCommUserRank", job);
  Check(ultraccCommCount(job.comm, &job.nranks), "ultraccCommCount", job);
  if (o.root >= job.nranks) {
    if (job.rank == 0) {
      std::fprintf(stderr, "%s: -r %d: root must be below the job's %d ranks\n", argv[0], o.root,
                   job.nranks);
    }
    ultraccCommDestroy(job.comm);
    return 2;
  }
  if (o.blocking == 0) Check(ultraccStreamCreate(&job.stream), "ultraccStreamCreate", job);
  size_t buffer_bytes = 0;
  for (const std::string& t : o.types) {
    buffer_bytes =
        std::max(buffer_bytes, CollectiveCase::BufferBytes(o.max_bytes, *FindType(t), job.nranks));
  }
  void *send = nullptr, *recv = nullptr, *scratch = nullptr;
  Check(ultraccMemAlloc(&send, buffer_bytes), "ultraccMemAlloc", job);
  Check(ultraccMemAlloc(&recv, buffer_bytes), "ultraccMemAlloc", job);
  Check(ultraccMemAlloc(&scratch, 4 * sizeof(double)), "ultraccMemAlloc", job);
  job.scratch = static_cast<double*>(scratch);

  AlgorithmColumn algorithms(job.nranks);
  const bool leader = job.rank == 0;
  if (!o.topology.empty() &&
      !algorithms.UseTopology(o.topology, EngineHasTopology(), &error)) {
    if (leader) std::fprintf(stderr, "%s: %s\n", argv[0], error.c_str());
    ultraccCommDestroy(job.comm);
    return 2;
  }
  const std::vector<size_t> sizes = SweepSizes(o);
  const size_t total_rows = SweepRows(o, sizes.size());
  if (leader) {
    std::printf(
        "# ultracc_perf: %d ranks on %d nodes, %d iterations after %d warm-up, check %d, "
        "%s, times %s across ranks\n",
        job.nranks, algorithms.participants(), o.iters, o.warmup, o.check,
        o.blocking ? "blocking calls" : "on a stream",
        o.average == 0   ? "of rank 0"
        : o.average == 1 ? "averaged"
        : o.average == 2 ? "min"
                         : "max");
  }
  const TableWriter table(stdout, o.show_algorithm, !o.topology.empty());
  std::vector<ResultRow> rows;
  std::vector<CollectiveSummary> summaries;
  size_t done = 0;
  ProgressLine progress(leader && (o.progress || isatty(2) != 0), total_rows);
  for (const std::string& collective : o.collectives) {
    if (leader) table.Header(collective);
    const std::vector<std::string> ops =
        HasRedOp(collective) ? o.ops : std::vector<std::string>{"sum"};
    for (const std::string& type_name : o.types) {
      for (const std::string& op_name : ops) {
        for (size_t bytes : sizes) {
          CaseParams params{collective,
                            FindType(type_name),
                            FindOp(op_name)->op,
                            HasRoot(collective) ? o.root : -1,
                            job.rank,
                            job.nranks};
          CollectiveCase c(params, bytes);
          ResultRow row;
          row.collective = collective;
          row.size = c.size_bytes();
          row.count = c.count();
          row.type = type_name;
          row.redop = HasRedOp(collective) ? op_name : "none";
          row.root = params.root;
          if (o.show_algorithm) row.algorithm = algorithms.For(collective, c.rule_bytes());
          row.predicted_us = algorithms.PredictedUs(collective, c.rule_bytes());
          row.out_of_place = Measure(c, send, recv, false, o, job);
          row.has_in_place = c.has_in_place();
          if (row.has_in_place) row.in_place = Measure(c, send, recv, true, o, job);
          if (leader) table.Row(row);
          rows.push_back(row);
          progress.Update(++done, collective + " " + type_name + " " + row.redop + " " +
                                      std::to_string(row.size) + " B");
        }
      }
    }
    summaries.push_back(Summarize(collective, rows));
    if (leader) table.Footer(summaries.back());
  }

  long total_wrong = 0;
  for (const CollectiveSummary& s : summaries) total_wrong += s.out_of_bounds;
  int exit_code = total_wrong == 0 ? 0 : 1;
  if (leader) {
    RunInfo info{job.nranks, algorithms.participants(), o.iters, o.warmup, o.check, o.blocking,
                 o.average};
    if (!o.json_path.empty() && !WriteJson(o.json_path, info, rows, summaries, &error)) {
      std::fprintf(stderr, "%s: --json: %s\n", argv[0], error.c_str());
      exit_code = 1;
    }
    if (!o.csv_path.empty() && !WriteCsv(o.csv_path, rows, &error)) {
      std::fprintf(stderr, "%s: --csv: %s\n", argv[0], error.c_str());
      exit_code = 1;
    }
  }
  if (job.stream != nullptr) Check(ultraccStreamDestroy(job.stream), "ultraccStreamDestroy", job);
  Check(ultraccMemFree(send), "ultraccMemFree", job);
  Check(ultraccMemFree(recv), "ultraccMemFree", job);
  Check(ultraccMemFree(scratch), "ultraccMemFree", job);
  Check(ultraccCommDestroy(job.comm), "ultraccCommDestroy", job);
  return exit_code;
}

}  // namespace
}  // namespace ultracc::bench

#ifndef ULTRACC_BENCH_DEFAULT_CHECK
#define ULTRACC_BENCH_DEFAULT_CHECK 0
#endif

int main(int argc, char** argv) {
  return ultracc::bench::Main(argc, argv, ULTRACC_BENCH_DEFAULT_CHECK);
}
