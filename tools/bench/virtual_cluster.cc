// Engine-only benchmark; see virtual_cluster.h.
#include "tools/bench/virtual_cluster.h"

#include <unistd.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "collectives/executor.h"
#include "collectives/node_engine.h"
#include "runtime/engine/link_emulation.h"
#include "runtime/topology/topology_source.h"
#include "tools/bench/algorithm_column.h"
#include "tools/bench/bench_report.h"
#include "tools/bench/collective_case.h"
#include "tools/bench/sweep.h"
#include "transport/inproc/process_links.h"

namespace ultracc::bench {
namespace {

using collectives::Algorithm;
using collectives::DataType;
using collectives::NodeEngine;
using collectives::RedOp;
using Clock = std::chrono::steady_clock;

// One wait of an operation; a sweep at 144 chips on two cores still finishes each step far sooner.
constexpr absl::Duration kOperationTimeout = absl::Seconds(120);

struct Buffer {
  void* p = nullptr;
  ~Buffer() { std::free(p); }
};

// Every node thread runs the same loop; they meet at `sync_` to combine times and wrong counts,
// and leave it (arrive_and_drop) when their engine fails, after aborting their links so that the
// others fail promptly too.
class Cluster {
 public:
  explicit Cluster(const VirtualClusterOptions& options)
      : o_(options.bench),
        nodes_(options.nodes),
        chips_(options.chips_per_node),
        world_(options.nodes * options.chips_per_node),
        emulate_links_gbps_(options.emulate_links_gbps),
        sync_(options.nodes),
        slots_(static_cast<size_t>(options.nodes)),
        algorithm_(AlgorithmFromEnvironment()),
        algorithms_(AlgorithmColumn::ForParticipants(options.nodes, options.chips_per_node)) {}

  int Run();

 private:
  // Joins every node to memory links, shaped by the topology's levels when emulating them.
  absl::Status ConnectNodes();
  struct Slot {  // what one node contributes at a meeting
    double stats[3] = {0, 0, 0};
    long wrong = 0;
  };

  static Algorithm AlgorithmFromEnvironment() {
    const char* forced = std::getenv("ULTRACC_ALGO");
    if (forced == nullptr || *forced == '\0') return Algorithm::kAuto;
    absl::StatusOr<Algorithm> a = collectives::ParseAlgorithm(forced);
    return a.ok() ? *a : Algorithm::kAuto;
  }

  void NodeMain(int node);
  absl::Status Measure(int node, NodeEngine& engine, const std::vector<CollectiveCase>& cases,
                       bool in_place, PlacementResult* result);
  absl::Status RunOnce(int node, NodeEngine& engine, const std::vector<CollectiveCase>& cases,
                       bool in_place);
  absl::Status PointToPoint(int node, const std::vector<CollectiveCase>& cases, bool in_place,
                            uint64_t op_seq, absl::Time deadline);
  long CountWrong(int node, const std::vector<CollectiveCase>& cases, bool in_place);
  void Fail(int node, const absl::Status& status);
  Buffer& Send(int node, int chip) { return send_[static_cast<size_t>(node * chips_ + chip)]; }
  Buffer& Recv(int node, int chip) { return recv_[static_cast<size_t>(node * chips_ + chip)]; }

  const BenchOptions o_;
  const int nodes_, chips_, world_;
  const double emulate_links_gbps_;
  // Member n's links to the other nodes (memory, shaped when emulating the topology's links).
  std::vector<std::unique_ptr<transport::ConnectableTransport>> links_;
  std::barrier<> sync_;
  std::vector<Slot> slots_;
  const Algorithm algorithm_;
  AlgorithmColumn algorithms_;  // the algorithm and predicted columns
  std::vector<Buffer> send_, recv_;
  std::vector<uint64_t> op_seq_;  // per node: the same sequence on every node

  absl::Mutex mu_;
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
  std::vector<ResultRow> rows_;  // node 0's thread only
  std::vector<CollectiveSummary> summaries_;
};

void Cluster::Fail(int node, const absl::Status& status) {
  {
    absl::MutexLock lock(&mu_);
    if (first_error_.ok()) {
      first_error_ = absl::Status(
          status.code(), "node " + std::to_string(node) + ": " + std::string(status.message()));
    }
  }
  links_[static_cast<size_t>(node)]->Abort(status);
  sync_.arrive_and_drop();
}

absl::Status Cluster::PointToPoint(int node, const std::vector<CollectiveCase>& cases,
                                   bool in_place, uint64_t op_seq, absl::Time deadline) {
  transport::Transport* links = links_[static_cast<size_t>(node)].get();
  const size_t bytes = cases[0].call_count() * cases[0].type().bytes;
  std::vector<transport::Request> sends(static_cast<size_t>(chips_));
  std::vector<transport::Request> recvs(static_cast<size_t>(chips_));
  std::vector<transport::Request*> posted;
  const uint64_t tag_base = op_seq << collectives::kExecutorTagBits;
  for (int i = 0; i < chips_; ++i) {
    const CollectiveCase& c = cases[static_cast<size_t>(i)];
    const void* in = nullptr;
    void* out = nullptr;
    c.CallBuffers(Send(node, i).p, Recv(node, i).p, in_place, &in, &out);
    const int to = c.send_peer(), from = c.recv_peer();
    if (to < 0) continue;
    // Tags name the receiving chip: each receives from one sender per operation.
    if (to / chips_ == node) {
      const void* ignored = nullptr;
      void* dest = nullptr;
      cases[static_cast<size_t>(to % chips_)].CallBuffers(
          Send(node, to % chips_).p, Recv(node, to % chips_).p, in_place, &ignored, &dest);
      std::memcpy(dest, in, bytes);
    } else {
      links->PostSend(to / chips_, tag_base | static_cast<uint64_t>(to % chips_), in, bytes,
                      &sends[static_cast<size_t>(i)]);
      posted.push_back(&sends[static_cast<size_t>(i)]);
    }
    if (from / chips_ != node) {
      links->PostRecv(from / chips_, tag_base | static_cast<uint64_t>(i), out, bytes,
                      &recvs[static_cast<size_t>(i)]);
      posted.push_back(&recvs[static_cast<size_t>(i)]);
    }
  }
  absl::Status status;
  for (transport::Request* r : posted) {
    absl::Status s = r->Wait(deadline);
    if (status.ok() && !s.ok()) status = s;
  }
  return status;
}

absl::Status Cluster::RunOnce(int node, NodeEngine& engine,
                              const std::vector<CollectiveCase>& cases, bool in_place) {
  const CollectiveCase& first = cases[0];
  const std::string& c = first.collective();
  const size_t k = static_cast<size_t>(chips_);
  std::vector<const void*> ins(k);
  std::vector<void*> outs(k);
  std::vector<const size_t*> sc(k), sd(k), rc(k), rd(k);
  for (size_t i = 0; i < k; ++i) {
    cases[i].CallBuffers(Send(node, static_cast<int>(i)).p, Recv(node, static_cast<int>(i)).p,
                         in_place, &ins[i], &outs[i]);
    sc[i] = cases[i].send_counts().data();
    sd[i] = cases[i].send_displs().data();
    rc[i] = cases[i].recv_counts().data();
    rd[i] = cases[i].recv_displs().data();
  }
  const uint64_t op_seq = op_seq_[static_cast<size_t>(node)]++;
  const absl::Time deadline = absl::Now() + kOperationTimeout;
  const size_t n = first.call_count();
  const DataType dt = static_cast<DataType>(first.type().type);
  const RedOp op = static_cast<RedOp>(first.op());
  if (c == "all_reduce")
    return engine.AllReduce(ins, outs, n, dt, op, op_seq, deadline, algorithm_);
  if (c == "reduce_scatter") {
    return engine.ReduceScatter(ins, outs, n, dt, op, op_seq, deadline, algorithm_);
  }
  if (c == "all_gather") return engine.AllGather(ins, outs, n, dt, op_seq, deadline, algorithm_);
  if (c == "all_to_all") return engine.AllToAll(ins, outs, n, dt, op_seq, deadline, algorithm_);
  if (c == "all_to_allv") {
    return engine.AllToAllv(ins, sc, sd, outs, rc, rd, dt, op_seq, deadline, algorithm_);
  }
  if (c == "broadcast") {
    return engine.Broadcast(ins, outs, n, dt, first.root(), op_seq, deadline, algorithm_);
  }
  if (c == "reduce") {
    return engine.Reduce(ins, outs, n, dt, op, first.root(), op_seq, deadline, algorithm_);
  }
  return PointToPoint(node, cases, in_place, op_seq, deadline);
}

long Cluster::CountWrong(int node, const std::vector<CollectiveCase>& cases, bool in_place) {
  // Every all-reduce output must hold the same values: node 0's first chip is checked against the
  // reference, and any output with the same bytes has its count of wrong elements; only outputs
  // that differ are checked on their own (checking each of 144 chips would cost 144 times more).
  const bool same_everywhere = cases[0].collective() == "all_reduce";
  long wrong = 0, reference_wrong = 0;
  if (same_everywhere) {
    if (node == 0) slots_[0].wrong = cases[0].CountWrong(Recv(0, 0).p, in_place);
    sync_.arrive_and_wait();
    reference_wrong = slots_[0].wrong;
  }
  const size_t bytes = cases[0].call_count() * cases[0].type().bytes;
  for (int i = 0; i < chips_; ++i) {
    const CollectiveCase& c = cases[static_cast<size_t>(i)];
    if (same_everywhere) {
      if (node == 0 && i == 0) {
        wrong += reference_wrong;
        continue;
      }
      if (std::memcmp(Recv(node, i).p, Recv(0, 0).p, bytes) == 0) {
        wrong += reference_wrong;
        continue;
      }
    }
    wrong += c.CountWrong(Recv(node, i).p, in_place);
  }
  if (same_everywhere) sync_.arrive_and_wait();  // node 0's output stays until all compared
  return wrong;
}

absl::Status Cluster::Measure(int node, NodeEngine& engine,
                              const std::vector<CollectiveCase>& cases, bool in_place,
                              PlacementResult* result) {
  for (int i = 0; i < chips_; ++i) {
    cases[static_cast<size_t>(i)].Prepare(Send(node, i).p, Recv(node, i).p, in_place);
  }
  for (int w = 0; w < o_.warmup; ++w) {
    if (absl::Status s = RunOnce(node, engine, cases, in_place); !s.ok()) return s;
  }
  const uint64_t barrier_seq = op_seq_[static_cast<size_t>(node)]++;
  if (absl::Status s = engine.Barrier(barrier_seq, absl::Now() + kOperationTimeout); !s.ok()) {
    return s;
  }
  std::vector<double> times;
  times.reserve(static_cast<size_t>(o_.iters));
  const Clock::time_point start = Clock::now();
  Clock::time_point last = start;
  for (int it = 0; it < o_.iters; ++it) {
    if (absl::Status s = RunOnce(node, engine, cases, in_place); !s.ok()) return s;
    const Clock::time_point now = Clock::now();
    times.push_back(std::chrono::duration<double, std::micro>(now - last).count());
    last = now;
  }
  Slot& mine = slots_[static_cast<size_t>(node)];
  mine.stats[0] = std::chrono::duration<double, std::micro>(last - start).count() / o_.iters;
  mine.stats[1] = Percentile(times, 0.50);
  mine.stats[2] = Percentile(times, 0.99);
  long wrong = 0;
  for (int k = 0; k < o_.check; ++k) {
    for (int i = 0; i < chips_; ++i) {
      cases[static_cast<size_t>(i)].Prepare(Send(node, i).p, Recv(node, i).p, in_place);
    }
    if (absl::Status s = RunOnce(node, engine, cases, in_place); !s.ok()) return s;
    wrong += CountWrong(node, cases, in_place);
  }
  mine.wrong = wrong;
  sync_.arrive_and_wait();
  if (node == 0) {
    // -a across nodes: every chip of a node finishes with its engine, so nodes stand for chips.
    double stats[3] = {0, 0, 0};
    long total_wrong = 0;
    for (int j = 0; j < 3; ++j) {
      double v = o_.average == 0 ? slots_[0].stats[j] : o_.average == 1 ? 0 : slots_[0].stats[j];
      for (const Slot& s : slots_) {
        if (o_.average == 1) v += s.stats[j] / nodes_;
        if (o_.average == 2) v = std::min(v, s.stats[j]);
        if (o_.average == 3) v = std::max(v, s.stats[j]);
      }
      stats[j] = v;
    }
    for (const Slot& s : slots_) total_wrong += s.wrong;
    result->time_us = stats[0];
    result->p50_us = stats[1];
    result->p99_us = stats[2];
    result->algbw = static_cast<double>(cases[0].size_bytes()) / (result->time_us * 1e-6) / 1e9;
    result->busbw = result->algbw * cases[0].bus_factor();
    result->wrong = o_.check > 0 ? total_wrong : -1;
  }
  sync_.arrive_and_wait();  // slots are free again
  return absl::OkStatus();
}

void Cluster::NodeMain(int node) {
  collectives::NodeEngineOptions engine_options;
  engine_options.node_rank = node;
  engine_options.num_nodes = nodes_;
  engine_options.total_ranks = world_;
  engine_options.transport = links_[static_cast<size_t>(node)].get();
  // With --topology the engines tune, as a job's daemons do with ULTRACC_TOPOLOGY.
  engine_options.chooser = algorithms_.EngineChooser();
  engine_options.group_members = algorithms_.GroupMembers();
  NodeEngine engine(engine_options);
  const TableWriter table(stdout, o_.show_algorithm, !o_.topology.empty());
  const std::vector<size_t> sizes = SweepSizes(o_);
  ProgressLine progress(node == 0 && (o_.progress || isatty(2) != 0), SweepRows(o_, sizes.size()));
  size_t done = 0;
  for (const std::string& collective : o_.collectives) {
    if (node == 0) table.Header(collective);
    const std::vector<std::string> ops =
        HasRedOp(collective) ? o_.ops : std::vector<std::string>{"sum"};
    for (const std::string& type_name : o_.types) {
      for (const std::string& op_name : ops) {
        for (size_t bytes : sizes) {
          std::vector<CollectiveCase> cases;
          for (int i = 0; i < chips_; ++i) {
            CaseParams params{collective,          FindType(type_name),
                              FindOp(op_name)->op, HasRoot(collective) ? o_.root : -1,
                              node * chips_ + i,   world_};
            cases.emplace_back(params, bytes);
          }
          const CollectiveCase& c = cases[0];
          ResultRow row;
          row.collective = collective;
          row.size = c.size_bytes();
          row.count = c.count();
          row.type = type_name;
          row.redop = HasRedOp(collective) ? op_name : "none";
          row.root = HasRoot(collective) ? o_.root : -1;
          if (o_.show_algorithm) row.algorithm = algorithms_.For(collective, c.rule_bytes());
          row.predicted_us = algorithms_.PredictedUs(collective, c.rule_bytes());
          absl::Status s = Measure(node, engine, cases, false, &row.out_of_place);
          row.has_in_place = c.has_in_place();
          if (s.ok() && row.has_in_place) s = Measure(node, engine, cases, true, &row.in_place);
          if (!s.ok()) return Fail(node, s);
          if (node != 0) continue;
          table.Row(row);
          rows_.push_back(row);
          progress.Update(++done, collective + " " + type_name + " " + row.redop + " " +
                                      std::to_string(row.size) + " B");
        }
      }
    }
    if (node == 0) {
      summaries_.push_back(Summarize(collective, rows_));
      table.Footer(summaries_.back());
    }
  }
  sync_.arrive_and_drop();
}

absl::Status Cluster::ConnectNodes() {
  static std::atomic<int> runs{0};
  const std::string key =
      "virtual-cluster-" + std::to_string(getpid()) + "-" + std::to_string(runs.fetch_add(1));
  std::vector<std::string> addresses;
  for (int n = 0; n < nodes_; ++n) {
    absl::StatusOr<std::unique_ptr<transport::inproc::ProcessLinks>> member =
        transport::inproc::ProcessLinks::Join(key, n, nodes_);
    if (!member.ok()) return member.status();
    addresses.push_back((*member)->address());
    links_.push_back(*std::move(member));
  }
  for (auto& member : links_) {
    if (absl::Status s = member->Connect(addresses, absl::Now() + absl::Seconds(10)); !s.ok()) {
      return s;
    }
  }
  if (emulate_links_gbps_ <= 0) return absl::OkStatus();
  if (o_.topology.empty()) {
    return absl::InvalidArgumentError(
        "--emulate-links needs --topology SPEC (whose links it keeps)");
  }
  absl::StatusOr<topology::Topology> topo = topology::LoadTopology(o_.topology);
  if (!topo.ok()) return topo.status();
  absl::StatusOr<std::optional<engine::LinkEmulation>> plan =
      engine::PlanLinkEmulation(*topo, nodes_, chips_, emulate_links_gbps_);
  if (!plan.ok()) return plan.status();
  if (!plan->has_value()) return absl::OkStatus();  // one node, or no links given: nothing to shape
  std::printf("# %s\n", (*plan)->Describe(o_.topology).c_str());
  for (int n = 0; n < nodes_; ++n) {
    links_[static_cast<size_t>(n)] =
        engine::EmulateLinks(std::move(links_[static_cast<size_t>(n)]), **plan, n, nodes_);
  }
  return absl::OkStatus();
}

int Cluster::Run() {
  if (o_.root >= world_) {
    std::fprintf(stderr, "ultracc bench: -r %d: root must be below the %d virtual chips\n", o_.root,
                 world_);
    return 2;
  }
  std::string error;
  if (!o_.topology.empty() && !algorithms_.UseTopology(o_.topology, true, &error)) {
    std::fprintf(stderr, "ultracc bench: %s\n", error.c_str());
    return 2;
  }
  if (absl::Status s = ConnectNodes(); !s.ok()) {
    std::fprintf(stderr, "ultracc bench: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  size_t buffer_bytes = 0;
  for (const std::string& t : o_.types) {
    buffer_bytes =
        std::max(buffer_bytes, CollectiveCase::BufferBytes(o_.max_bytes, *FindType(t), world_));
  }
  buffer_bytes = (buffer_bytes + 63) / 64 * 64;
  send_.resize(static_cast<size_t>(world_));
  recv_.resize(static_cast<size_t>(world_));
  for (int g = 0; g < world_; ++g) {
    send_[static_cast<size_t>(g)].p = std::aligned_alloc(64, buffer_bytes);
    recv_[static_cast<size_t>(g)].p = std::aligned_alloc(64, buffer_bytes);
    if (send_[static_cast<size_t>(g)].p == nullptr || recv_[static_cast<size_t>(g)].p == nullptr) {
      std::fprintf(stderr, "ultracc bench: cannot allocate 2 x %zu bytes for each of %d chips\n",
                   buffer_bytes, world_);
      return 1;
    }
  }
  op_seq_.assign(static_cast<size_t>(nodes_), 1);
  std::printf(
      "# ultracc bench, engine only: %d virtual chips on %d nodes x %d (node engines as threads, "
      "meeting through memory), %d iterations after %d warm-up, check %d, times %s across "
      "nodes\n",
      world_, nodes_, chips_, o_.iters, o_.warmup, o_.check,
      o_.average == 0   ? "of node 0"
      : o_.average == 1 ? "averaged"
      : o_.average == 2 ? "min"
                        : "max");
  std::vector<std::thread> threads;
  for (int node = 0; node < nodes_; ++node) threads.emplace_back([this, node] { NodeMain(node); });
  for (std::thread& t : threads) t.join();

  int exit_code = 0;
  {
    absl::MutexLock lock(&mu_);
    if (!first_error_.ok()) {
      std::fprintf(stderr, "ultracc bench: %s\n", first_error_.ToString().c_str());
      exit_code = 1;
    }
  }
  for (const CollectiveSummary& s : summaries_) {
    if (s.out_of_bounds != 0) exit_code = 1;
  }
  RunInfo info{world_, nodes_, o_.iters, o_.warmup, o_.check, o_.blocking, o_.average};
  if (!o_.json_path.empty() && !WriteJson(o_.json_path, info, rows_, summaries_, &error)) {
    std::fprintf(stderr, "ultracc bench: --json: %s\n", error.c_str());
    exit_code = 1;
  }
  if (!o_.csv_path.empty() && !WriteCsv(o_.csv_path, rows_, &error)) {
    std::fprintf(stderr, "ultracc bench: --csv: %s\n", error.c_str());
    exit_code = 1;
  }
  return exit_code;
}

}  // namespace

int RunVirtualBench(const VirtualClusterOptions& options) {
  Cluster cluster(options);
  return cluster.Run();
}

}  // namespace ultracc::bench
