// Timeout reports between the members of an engine; see timeout_report.h.
#include "runtime/engine/timeout_report.h"

#include <algorithm>
#include <array>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "runtime/engine/collective_call.h"

namespace ultracc::engine {
namespace {

// "rank 3", or "node 1 (ranks 2-3)" when members hold several chips.
std::string MemberName(int member, int chips_per_node) {
  if (chips_per_node <= 1) return absl::StrCat("rank ", member);
  const int first = member * chips_per_node;
  return absl::StrCat("node ", member, " (ranks ", first, "-", first + chips_per_node - 1, ")");
}

}  // namespace

absl::Duration TimeoutReportWindow(absl::Duration timeout) {
  return std::clamp(timeout / 4, absl::Milliseconds(100), absl::Seconds(2));
}

absl::Status ReportTimeout(const absl::Status& timeout, const TimeoutReport& report) {
  transport::Transport* links = report.links;
  if (links == nullptr || links->Size() < 2) return timeout;
  const int me = links->Rank();
  const int size = links->Size();
  const uint64_t tag = TimeoutReportTag(report.comm_id);
  // A report: {sequence, stalled rank + 1 or 0}. On the heap: if the transport does not finish
  // the requests after the abort, they are left alive rather than pointing into a dead frame.
  using Report = std::array<uint64_t, 2>;
  struct Exchange {
    Report mine{};
    std::vector<Report> theirs;
    std::deque<transport::Request> sends, receives;
  };
  auto exchange = std::make_unique<Exchange>();
  exchange->mine = {report.sequence, static_cast<uint64_t>(report.stalled_rank + 1)};
  exchange->theirs.assign(size, Report{});
  for (int p = 0; p < size; ++p) {
    exchange->sends.emplace_back();
    exchange->receives.emplace_back();
  }
  for (int p = 0; p < size; ++p) {
    if (p == me) continue;
    links->PostSend(p, tag, exchange->mine.data(), sizeof(Report), &exchange->sends[p]);
    links->PostRecv(p, tag, exchange->theirs[p].data(), sizeof(Report), &exchange->receives[p]);
  }
  const uint64_t mine = report.sequence;
  const absl::Time deadline = absl::Now() + report.window;
  std::vector<std::string> silent, reported, stalled;
  for (int p = 0; p < size; ++p) {
    if (p == me) continue;
    const std::string name = MemberName(p, report.chips_per_node);
    const Report& theirs = exchange->theirs[p];
    if (!exchange->receives[p].Wait(deadline).ok()) {
      silent.push_back(name);
    } else if (theirs[1] != 0) {
      stalled.push_back(absl::StrCat("rank ", theirs[1] - 1, " (node ", p, ")"));
    } else if (theirs[0] == mine) {
      reported.push_back(name);
    } else {
      reported.push_back(absl::StrCat(name, " in op #", theirs[0]));
    }
  }
  links->Abort(timeout);
  bool finished = true;
  const absl::Time settle = absl::Now() + absl::Seconds(5);
  for (int p = 0; p < size; ++p) {
    if (p == me) continue;
    for (transport::Request* r : {&exchange->sends[p], &exchange->receives[p]}) {
      r->Wait(settle).IgnoreError();
      finished &= r->IsDone();
    }
  }
  if (!finished) exchange.release();  // deliberately kept: requests still point into it
  std::vector<std::string> parts;
  if (!stalled.empty()) {
    parts.push_back(absl::StrCat(absl::StrJoin(stalled, ", "),
                                 " did not call it (stopped, hung or ", "calling something else)"));
  }
  if (!silent.empty()) {
    parts.push_back(absl::StrCat("not heard from: ", absl::StrJoin(silent, ", "),
                                 " (stopped, hung or not calling op #", mine, ")"));
  }
  if (!reported.empty()) {
    parts.push_back(absl::StrCat("timed out as well: ", absl::StrJoin(reported, ", ")));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "op #", mine, " timed out; ", absl::StrJoin(parts, "; "), ": ", timeout.message()));
}

}  // namespace ultracc::engine
