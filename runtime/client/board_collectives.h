// Collectives run on the call board (submission/node_board.h): where the ranks share memory every
// rank posts its input and then computes its own result from all posted inputs, which for small
// inputs costs less than handing the call to the daemon and waiting for its answer.
#pragma once

#include <cstddef>

#include "runtime/submission/node_board.h"
#include "runtime/submission/operation.h"

namespace ultracc::client {

// Whether `op` runs on the board when each rank may read up to `limit` bytes of the others'
// inputs there (all-reduce reads all ranks' inputs, reduce-scatter and all-to-all a block of
// each, broadcast the root's) and its input fits a slot. The limit bounds the work every rank
// repeats where the daemon would do it once. Decided from the call alone (never from buffers or
// rank), so every rank that made the same call decides alike. All-to-allv never runs there: its
// ranks' counts legitimately differ.
bool RunsOnBoard(const submission::Operation& op, int world, size_t limit);

// The bytes of `op`'s send buffer that `rank` posts when `op` runs on the board.
size_t BoardInputBytes(const submission::Operation& op, int rank, int world);

// Once every rank posted `op` and the calls agree: writes this rank's result to op.recv. The
// inputs are read from the board, so op.recv may alias op.send. Reductions go node by node (runs
// of `node_ranks` ranks), then across nodes.
void FinishOnBoard(const submission::NodeBoard& board, const submission::Operation& op, int rank,
                   int node_ranks);

}  // namespace ultracc::client
