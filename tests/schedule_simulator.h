// Symbolic execution of the schedules of all ranks of a collective, for generator tests.
//
// Every element is a Cell: the set of ranks whose contribution it holds (a bit mask) and the index
// of the element it is a contribution to. Moving a cell keeps it; reducing two cells requires the
// same index and disjoint contributor sets, so an element combined with the wrong element or
// counted twice is caught where it happens. The simulator also checks the rules schedule.h states:
// within a round, no step of a rank writes elements another step of that rank reads or writes, and
// the i-th message from r to q in a round is the i-th message q receives from r, with equal count.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "collectives/schedule.h"

namespace ultracc::collectives::testing {

struct Cell {
  uint64_t contributors = 0;
  int64_t index = -1;  // -1: never written
  bool operator==(const Cell&) const = default;
};

inline std::string CellString(const Cell& cell) {
  return absl::StrFormat("{contributors %#x, index %d}", cell.contributors, cell.index);
}

struct SimBuffers {
  std::vector<Cell> input, output, scratch;
  std::vector<Cell>& Get(BufferId id) {
    return id == BufferId::kInput ? input : id == BufferId::kOutput ? output : scratch;
  }
};

inline uint64_t AllRanks(int size) { return size >= 64 ? ~uint64_t{0} : (uint64_t{1} << size) - 1; }

// Elements [begin, begin + count) each get Cell{1 << rank, begin + i + index_base}.
inline void Fill(std::vector<Cell>& cells, size_t begin, size_t count, int rank,
                 int64_t index_base = 0) {
  for (size_t i = 0; i < count; ++i) {
    cells[begin + i] = Cell{uint64_t{1} << rank, static_cast<int64_t>(begin + i) + index_base};
  }
}

namespace internal {

struct Access {
  BufferId buffer;
  size_t begin, end;
  bool write;
  size_t step;
};

inline absl::Status CheckRoundIndependence(const Schedule& schedule, size_t first, size_t last) {
  std::vector<Access> accesses;
  for (size_t i = first; i < last; ++i) {
    const Step& step = schedule.steps[i];
    if (step.count == 0) continue;
    if (step.ReadsSrc()) {
      accesses.push_back(
          {step.src.buffer, step.src.offset, step.src.offset + step.count, false, i});
    }
    if (step.WritesDst()) {
      accesses.push_back({step.dst.buffer, step.dst.offset, step.dst.offset + step.count, true, i});
    }
  }
  for (size_t a = 0; a < accesses.size(); ++a) {
    for (size_t b = a + 1; b < accesses.size(); ++b) {
      const Access& x = accesses[a];
      const Access& y = accesses[b];
      if (x.step == y.step || !(x.write || y.write) || x.buffer != y.buffer) continue;
      if (x.begin < y.end && y.begin < x.end) {
        return absl::InternalError(absl::StrFormat(
            "rank %d round %d: steps %d and %d touch overlapping %s elements and one writes",
            schedule.rank, schedule.steps[x.step].round, x.step, y.step, BufferName(x.buffer)));
      }
    }
  }
  return absl::OkStatus();
}

inline absl::Status Combine(Cell& into, const Cell& from, int rank, size_t step) {
  if (into.index != from.index || (into.contributors & from.contributors) != 0 || from.index < 0) {
    return absl::InternalError(absl::StrFormat("rank %d step %d: cannot reduce %s into %s", rank,
                                               step, CellString(from), CellString(into)));
  }
  into.contributors |= from.contributors;
  return absl::OkStatus();
}

}  // namespace internal

// Runs the schedules (schedules[r] is rank r's) on `buffers`; input and output must be sized by
// the caller, scratch is sized here from each schedule.
inline absl::Status Simulate(const std::vector<Schedule>& schedules,
                             std::vector<SimBuffers>& buffers) {
  const int size = static_cast<int>(schedules.size());
  int rounds = 0;
  for (int r = 0; r < size; ++r) {
    if (absl::Status s = ValidateSchedule(schedules[r]); !s.ok()) return s;
    if (schedules[r].rank != r || schedules[r].size != size) {
      return absl::InternalError(absl::StrFormat("schedule %d says rank %d of %d", r,
                                                 schedules[r].rank, schedules[r].size));
    }
    if (buffers[r].input.size() < schedules[r].input_elements ||
        buffers[r].output.size() < schedules[r].output_elements) {
      return absl::InternalError(absl::StrFormat("rank %d: buffers smaller than the extents", r));
    }
    buffers[r].scratch.assign(schedules[r].scratch_elements, Cell{});
    rounds = std::max(rounds, schedules[r].NumRounds());
  }
  std::vector<size_t> next(size, 0);
  for (int round = 0; round < rounds; ++round) {
    std::vector<std::pair<size_t, size_t>> range(size);
    for (int r = 0; r < size; ++r) {
      size_t end = next[r];
      while (end < schedules[r].steps.size() && schedules[r].steps[end].round == round) ++end;
      range[r] = {next[r], end};
      next[r] = end;
      if (absl::Status s = internal::CheckRoundIndependence(schedules[r], range[r].first, end);
          !s.ok()) {
        return s;
      }
    }
    // Messages carry the sender's data as it was when the round started.
    std::map<std::pair<int, int>, std::vector<std::vector<Cell>>> in_flight;
    for (int r = 0; r < size; ++r) {
      for (size_t i = range[r].first; i < range[r].second; ++i) {
        const Step& step = schedules[r].steps[i];
        if (step.kind != StepKind::kSend) continue;
        const std::vector<Cell>& src = buffers[r].Get(step.src.buffer);
        in_flight[{r, step.peer}].emplace_back(src.begin() + step.src.offset,
                                               src.begin() + step.src.offset + step.count);
      }
    }
    for (int r = 0; r < size; ++r) {
      SimBuffers& mine = buffers[r];
      for (size_t i = range[r].first; i < range[r].second; ++i) {
        const Step& step = schedules[r].steps[i];
        if (step.kind == StepKind::kSend) continue;
        std::vector<Cell> payload;
        if (step.IsTransfer()) {
          auto& queue = in_flight[{step.peer, r}];
          if (queue.empty()) {
            return absl::InternalError(absl::StrFormat(
                "rank %d round %d step %d: nothing sent by %d to receive", r, round, i, step.peer));
          }
          payload = std::move(queue.front());
          queue.erase(queue.begin());
          if (payload.size() != step.count) {
            return absl::InternalError(absl::StrFormat(
                "rank %d round %d step %d: receives %d elements from %d, which sent %d", r, round,
                i, step.count, step.peer, payload.size()));
          }
        } else {
          const std::vector<Cell>& src = mine.Get(step.src.buffer);
          payload.assign(src.begin() + step.src.offset, src.begin() + step.src.offset + step.count);
        }
        std::vector<Cell>& dst = mine.Get(step.dst.buffer);
        for (size_t e = 0; e < step.count; ++e) {
          Cell& cell = dst[step.dst.offset + e];
          if (step.kind == StepKind::kRecvReduce || step.kind == StepKind::kReduce) {
            if (absl::Status s = internal::Combine(cell, payload[e], r, i); !s.ok()) return s;
          } else {
            cell = payload[e];
          }
        }
      }
    }
    for (const auto& [pair, queue] : in_flight) {
      if (!queue.empty()) {
        return absl::InternalError(
            absl::StrFormat("round %d: %d message(s) from %d to %d unreceived", round, queue.size(),
                            pair.first, pair.second));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace ultracc::collectives::testing
