// `ultracc status`; see status_command.h.
#include "tools/status/status_command.h"

#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tools/launch/daemon_client.h"
#include "tools/launch/job_record.h"

namespace ultracc::status {
namespace {

constexpr absl::Duration kCallTimeout = absl::Seconds(5);

struct Target {
  std::string job_id;  // empty: whatever job the daemons run
  std::string token;
  std::vector<std::string> daemons;
};

struct NodeReport {
  int node = 0;
  std::string address;
  absl::StatusOr<proto::JobStatusReply> reply;
};

std::string State(const proto::RankProgress& r) {
  if (!r.running()) return "exited";
  if (r.called() == 0) return "has called no collective";
  if (r.called() > r.answered()) return absl::StrCat("waiting ", r.waiting_ms(), " ms");
  return "answered; computing or in no collective";
}

void PrintReport(const std::string& job_id, const std::vector<NodeReport>& nodes) {
  std::vector<proto::RankProgress> ranks;
  int chips = 0;
  for (const NodeReport& n : nodes) {
    if (!n.reply.ok()) {
      std::printf("node %d (ultraccd at %s): %s\n", n.node, n.address.c_str(),
                  std::string(n.reply.status().message()).c_str());
      continue;
    }
    chips = n.reply->chips_per_node();
    if (!n.reply->error().empty()) {
      std::printf("node %d: the job's collectives ended: %s\n", n.node, n.reply->error().c_str());
    }
    for (const auto& r : n.reply->ranks()) ranks.push_back(r);
  }
  std::sort(ranks.begin(), ranks.end(),
            [](const auto& a, const auto& b) { return a.rank() < b.rank(); });
  std::printf("job %s: %zu nodes x %d chips\n", job_id.c_str(), nodes.size(), chips);
  std::printf("%5s %5s %8s  %-48s %s\n", "rank", "node", "pid", "latest collective", "state");
  uint64_t newest = 0;
  for (const auto& r : ranks) {
    newest = std::max<uint64_t>(newest, r.called());
    const std::string call =
        r.called() == 0 ? "-" : absl::StrCat("op #", r.called(), " ", r.operation());
    std::printf("%5d %5d %8d  %-48s %s\n", r.rank(), chips > 0 ? r.rank() / chips : 0, r.pid(),
                call.c_str(), State(r).c_str());
  }
  std::vector<std::string> waiting;
  int64_t longest_ms = 0;
  for (const auto& r : ranks) {
    if (r.called() != newest || r.answered() >= newest) continue;
    waiting.push_back(absl::StrCat(r.rank()));
    longest_ms = std::max<int64_t>(longest_ms, r.waiting_ms());
  }
  int behind = 0;
  for (const auto& r : ranks) {
    if (r.called() >= newest) continue;
    ++behind;
    std::printf("behind: rank %d (node %d, pid %d) has not called op #%llu", r.rank(),
                chips > 0 ? r.rank() / chips : 0, r.pid(), static_cast<unsigned long long>(newest));
    if (!waiting.empty()) {
      std::printf(", which rank%s %s wait%s in for up to %lld ms", waiting.size() > 1 ? "s" : "",
                  absl::StrJoin(waiting, ", ").c_str(), waiting.size() > 1 ? "" : "s",
                  static_cast<long long>(longest_ms));
    }
    std::printf("%s\n", r.running() ? "" : " (it exited)");
  }
  if (behind == 0 && newest > 0) {
    std::printf("behind: none (every rank called op #%llu)\n",
                static_cast<unsigned long long>(newest));
  }
}

}  // namespace

StatusCommand::StatusCommand(CLI::App& app) {
  command_ = app.add_subcommand(
      "status", "which collective each rank of a running job is in, and the ranks that are behind");
  command_->add_option("--daemons", daemons_,
                       "the job's daemons HOST:PORT,... (token from ULTRACC_JOB_TOKEN); default: "
                       "the job `ultracc launch` runs on this host");
  command_->add_option("--job", job_id_, "job id, when several jobs run");
}

int StatusCommand::Run() const {
  Target target;
  target.job_id = job_id_;
  if (!daemons_.empty()) {
    const char* token = getenv("ULTRACC_JOB_TOKEN");
    if (token == nullptr || *token == '\0') {
      std::cerr << "ultracc status: --daemons needs ULTRACC_JOB_TOKEN set to the daemons' token\n";
      return 2;
    }
    target.token = token;
    target.daemons = absl::StrSplit(daemons_, ',', absl::SkipEmpty());
  } else {
    std::vector<launch::JobRecord> jobs = launch::RunningJobs();
    if (!job_id_.empty()) {
      std::erase_if(jobs, [&](const launch::JobRecord& j) { return j.job_id != job_id_; });
    }
    if (jobs.empty()) {
      std::cerr << "ultracc status: no running job" << (job_id_.empty() ? "" : " " + job_id_)
                << " in " << launch::JobRecordDir()
                << "; name a job's daemons with --daemons and ULTRACC_JOB_TOKEN\n";
      return 1;
    }
    if (jobs.size() > 1) {
      std::cerr << "ultracc status: " << jobs.size() << " jobs run; choose one with --job:\n";
      for (const auto& j : jobs) std::cerr << "  " << j.job_id << "\n";
      return 2;
    }
    target.job_id = jobs[0].job_id;
    target.token = jobs[0].token;
    target.daemons = jobs[0].daemons;
  }
  std::vector<NodeReport> nodes;
  bool reachable = true;
  for (size_t n = 0; n < target.daemons.size(); ++n) {
    launch::DaemonClient client(target.daemons[n], target.token);
    NodeReport report{static_cast<int>(n), target.daemons[n],
                      client.JobStatus(target.job_id, absl::Now() + kCallTimeout)};
    if (report.reply.ok() && target.job_id.empty()) target.job_id = report.reply->job_id();
    reachable &= report.reply.ok();
    nodes.push_back(std::move(report));
  }
  PrintReport(target.job_id, nodes);
  return reachable ? 0 : 1;
}

}  // namespace ultracc::status
