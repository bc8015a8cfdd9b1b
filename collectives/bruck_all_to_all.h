// Bruck's all-to-all (Bruck et al. 1997): ceil(log2 size) messages per rank instead of size - 1,
// each carrying about half the data, so it wins when blocks are small and latency dominates.
//
// Index the blocks of rank r by distance i = (destination - r) mod size. In exchange k every block
// whose index has bit k set moves 2^k ranks forward (to r + 2^k), all of them packed into one
// message; after the last exchange the block at index i of rank r came from rank r - i. Each
// exchange is preceded by a local round that packs the moving blocks contiguously (a rotation by
// copy steps) and parks blocks received in the previous exchange that stay, and a final local round
// puts every block at its place in the output.
#pragma once

#include <cstddef>

#include "collectives/schedule.h"

namespace ultracc::collectives {

// Reads kInput (size blocks of `count`, block j for rank j), writes kOutput (block j from rank j);
// they must not alias. Uses 3 * size * count scratch elements: parking slots, the packed outgoing
// message and the incoming one. 2 ceil(log2 size) + 1 rounds.
Schedule BruckAllToAll(int rank, int size, size_t count);

}  // namespace ultracc::collectives
