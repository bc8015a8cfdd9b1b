// Helpers of the call-board tests: a board in ordinary memory (the daemon's is a shared mapping;
// the layout is the same), and int32 inputs with their reductions, distinct per rank and element
// and small enough for exact sums.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "collectives/datatype.h"
#include "runtime/submission/node_board.h"

namespace ultracc::testing {

struct LocalBoard {
  explicit LocalBoard(int ranks)
      : memory(static_cast<char*>(std::aligned_alloc(64, submission::NodeBoard::Bytes(ranks)))) {
    std::memset(memory.get(), 0, submission::NodeBoard::Bytes(ranks));
    board = submission::NodeBoard::Init(memory.get(), ranks);
  }
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  std::unique_ptr<char, Free> memory;
  submission::NodeBoard board;
};

// Rank r's input element i.
inline int32_t BoardInput(int r, size_t i) {
  return static_cast<int32_t>(1000 * (r + 1) + 3 * i + 1);
}

// Element i of the reduction of `ranks` ranks' inputs by `op` (sum, max, min or avg).
inline int32_t ReducedBoardInput(collectives::RedOp op, int ranks, size_t i) {
  int64_t acc = BoardInput(0, i);
  for (int r = 1; r < ranks; ++r) {
    const int64_t v = BoardInput(r, i);
    acc = op == collectives::RedOp::kMax   ? std::max(acc, v)
          : op == collectives::RedOp::kMin ? std::min(acc, v)
                                           : acc + v;
  }
  if (op == collectives::RedOp::kAvg) acc /= ranks;
  return static_cast<int32_t>(acc);
}

}  // namespace ultracc::testing
