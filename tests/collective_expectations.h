// What each collective must leave in every rank's buffers, checked by running the generated
// schedules of all ranks through the symbolic simulator (schedule_simulator.h). Shared by the tests
// of the generators so that every algorithm of a collective meets the same expectation.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "collectives/all_to_all_layout.h"
#include "collectives/schedule.h"
#include "tests/schedule_simulator.h"

namespace ultracc::collectives::testing {

using RankSchedule = std::function<Schedule(int rank)>;

inline absl::Status ExpectCells(const std::vector<Cell>& cells, size_t begin, size_t count,
                                uint64_t contributors, int64_t first_index, int rank) {
  for (size_t i = 0; i < count; ++i) {
    const Cell want{contributors, first_index + static_cast<int64_t>(i)};
    if (cells[begin + i] != want) {
      return absl::InternalError(absl::StrFormat("rank %d element %d is %s, want %s", rank,
                                                 begin + i, CellString(cells[begin + i]),
                                                 CellString(want)));
    }
  }
  return absl::OkStatus();
}

inline std::vector<Schedule> AllSchedules(const RankSchedule& make, int size) {
  std::vector<Schedule> schedules;
  for (int r = 0; r < size; ++r) schedules.push_back(make(r));
  return schedules;
}

// In place in kOutput of `count` elements: every rank ends with every contribution.
inline absl::Status ExpectAllReduce(const RankSchedule& make, int size, size_t count) {
  std::vector<SimBuffers> buffers(size);
  for (int r = 0; r < size; ++r) {
    buffers[r].output.resize(count);
    buffers[r].input.resize(count);
    Fill(buffers[r].output, 0, count, r);
  }
  if (absl::Status s = Simulate(AllSchedules(make, size), buffers); !s.ok()) return s;
  for (int r = 0; r < size; ++r) {
    if (absl::Status s = ExpectCells(buffers[r].output, 0, count, AllRanks(size), 0, r); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

inline absl::Status ExpectReduceScatter(const RankSchedule& make, int size, size_t block) {
  std::vector<SimBuffers> buffers(size);
  for (int r = 0; r < size; ++r) {
    buffers[r].output.resize(size * block);
    buffers[r].input.resize(size * block);
    Fill(buffers[r].output, 0, size * block, r);
  }
  if (absl::Status s = Simulate(AllSchedules(make, size), buffers); !s.ok()) return s;
  for (int r = 0; r < size; ++r) {
    if (absl::Status s = ExpectCells(buffers[r].output, r * block, block, AllRanks(size),
                                     static_cast<int64_t>(r * block), r);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

inline absl::Status ExpectAllGather(const RankSchedule& make, int size, size_t block) {
  std::vector<SimBuffers> buffers(size);
  for (int r = 0; r < size; ++r) {
    buffers[r].output.resize(size * block);
    buffers[r].input.resize(size * block);
    Fill(buffers[r].output, r * block, block, r);
  }
  if (absl::Status s = Simulate(AllSchedules(make, size), buffers); !s.ok()) return s;
  for (int r = 0; r < size; ++r) {
    for (int j = 0; j < size; ++j) {
      if (absl::Status s = ExpectCells(buffers[r].output, j * block, block, uint64_t{1} << j,
                                       static_cast<int64_t>(j * block), r);
          !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

inline absl::Status ExpectBroadcast(const RankSchedule& make, int size, int root, size_t count) {
  std::vector<SimBuffers> buffers(size);
  for (int r = 0; r < size; ++r) {
    buffers[r].output.resize(count);
    buffers[r].input.resize(count);
  }
  Fill(buffers[root].output, 0, count, root);
  if (absl::Status s = Simulate(AllSchedules(make, size), buffers); !s.ok()) return s;
  for (int r = 0; r < size; ++r) {
    if (absl::Status s = ExpectCells(buffers[r].output, 0, count, uint64_t{1} << root, 0, r);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

inline absl::Status ExpectReduce(const RankSchedule& make, int size, int root, size_t count) {
  std::vector<SimBuffers> buffers(size);
  for (int r = 0; r < size; ++r) {
    buffers[r].output.resize(count);
    buffers[r].input.resize(count);
    Fill(buffers[r].output, 0, count, r);
  }
  if (absl::Status s = Simulate(AllSchedules(make, size), buffers); !s.ok()) return s;
  return ExpectCells(buffers[root].output, 0, count, AllRanks(size), 0, root);
}

// `layouts[r]` is rank r's; the element sent from r at input index k arrives as Cell{1 << r, k}.
inline absl::Status ExpectAllToAll(const RankSchedule& make,
                                   const std::vector<AllToAllLayout>& layouts) {
  const int size = static_cast<int>(layouts.size());
  std::vector<SimBuffers> buffers(size);
  for (int r = 0; r < size; ++r) {
    buffers[r].input.resize(layouts[r].InputExtent());
    buffers[r].output.resize(layouts[r].OutputExtent());
    Fill(buffers[r].input, 0, buffers[r].input.size(), r);
  }
  if (absl::Status s = Simulate(AllSchedules(make, size), buffers); !s.ok()) return s;
  for (int q = 0; q < size; ++q) {
    for (int r = 0; r < size; ++r) {
      if (layouts[q].recv_counts[r] != layouts[r].send_counts[q]) {
        return absl::InternalError("test layouts disagree");
      }
      if (absl::Status s =
              ExpectCells(buffers[q].output, layouts[q].recv_displs[r], layouts[q].recv_counts[r],
                          uint64_t{1} << r, static_cast<int64_t>(layouts[r].send_displs[q]), q);
          !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

// Layouts of all ranks for an all-to-allv where rank r sends (r * 3 + q * 5 + salt) % 4 elements
// to q (zeros included), with gaps between blocks and blocks placed in reverse peer order.
inline std::vector<AllToAllLayout> VariableLayouts(int size, int salt) {
  auto count = [&](int from, int to) {
    return static_cast<size_t>((from * 3 + to * 5 + salt) % 4);
  };
  std::vector<AllToAllLayout> layouts(size);
  for (int r = 0; r < size; ++r) {
    size_t send_at = 1, recv_at = 2;
    for (int j = size - 1; j >= 0; --j) {
      layouts[r].send_counts.insert(layouts[r].send_counts.begin(), count(r, j));
      layouts[r].send_displs.insert(layouts[r].send_displs.begin(), send_at);
      send_at += count(r, j) + 1;
      layouts[r].recv_counts.insert(layouts[r].recv_counts.begin(), count(j, r));
      layouts[r].recv_displs.insert(layouts[r].recv_displs.begin(), recv_at);
      recv_at += count(j, r) + 2;
    }
  }
  return layouts;
}

}  // namespace ultracc::collectives::testing
