// Collectives ranks that share memory (one node's, or those of nodes on one host) run directly over
// each other's arenas, once they met on the call board (submission/node_board.h) and every rank
// posted where its buffers are: each input is read once and each output written once, by the ranks
// themselves, with no copy through the board and no trip through the daemon. All-reduce and reduce
// split the elements into one slice per rank, which that rank reduces and hands to every output;
// the other kinds have each rank fetch what its own output needs.
#pragma once

#include <cstddef>

#include "absl/types/span.h"
#include "runtime/submission/node_board.h"
#include "runtime/submission/operation.h"

namespace ultracc::client {

// Where this rank's buffers of `op` are in its arena (`arena`, `arena_bytes`), reachable when
// every buffer the rank uses lies inside it and the buffers are either apart or in place in the
// collective's own sense (the same buffer; reduce-scatter's input holding its output block at
// this rank's place; all-gather's output holding its input there). In-place all-to-all is not
// reachable: a rank would overwrite blocks another rank still has to read.
submission::BoardBuffers ArenaBuffers(const submission::Operation& op, int rank, int world,
                                      const char* arena, size_t arena_bytes);

// Whether `op` runs over the arenas once all ranks posted: every rank's buffers were reachable.
bool AllReachable(const submission::NodeBoard& board, const submission::Operation& op);

// This rank's share of `op` over the ranks' arenas (`arenas[p]`: rank p's arena base in this
// process). Reductions go node by node (runs of `node_ranks` ranks), then across nodes. The caller
// then finishes on the board and waits for every rank to finish.
void RunOverArenas(const submission::NodeBoard& board, const submission::Operation& op, int rank,
                   int node_ranks, absl::Span<char* const> arenas);

}  // namespace ultracc::client
