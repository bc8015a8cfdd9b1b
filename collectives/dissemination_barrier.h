// Dissemination barrier (Hensgen, Finkel & Manber 1988): ceil(log2 size) rounds of empty messages;
// in round k rank r signals r + 2^k and waits for r - 2^k. After the last round every rank has
// heard, directly or through others, from every rank, so none leaves before all have arrived.
#pragma once

#include "collectives/schedule.h"

namespace ultracc::collectives {

Schedule DisseminationBarrier(int rank, int size);

}  // namespace ultracc::collectives
