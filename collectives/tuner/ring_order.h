// The ring through a topology's own links, for engines whose members are chips. When the node
// level is a torus that the members fill, the ring snakes through each node's torus (rows
// alternating direction, so each step is one torus link) and enters the next node at the chip
// where it left the last one: same-coordinate chips of an UltraServer's nodes are linked, as on
// Trn2, and every other node walks its snake backwards. Elsewhere (members that are nodes, a
// switch at the node level, nodes only partly used) any order is as good, and the ring keeps rank
// order.
#pragma once

#include "collectives/ring.h"
#include "collectives/tuner/rank_hierarchy.h"
#include "runtime/topology/topology.h"

namespace ultracc::collectives::tuner {

// Chip c of a node sits at the row-major coordinates of c in the node's torus_dims.
RingOrder TopologyRingOrder(const topology::Topology& topology, const RankLayout& layout);

}  // namespace ultracc::collectives::tuner
