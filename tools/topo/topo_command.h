// `ultracc topo show|validate|dump SPEC`: the cluster shape a job emulates, where SPEC is a preset
// (trn3-ultraserver, trn3-ultraserver-gen1, trn2-ultraserver, trn3-ultracluster:N, host) or a
// text-format TopologySpec file (proto/topology.proto).
//   show      the tree of levels with chip counts, per-level and bisection bandwidth
//   validate  "OK ..." or the errors, each naming the field and line
//   dump      the spec in text format, which reads back to the same spec
#pragma once

#include <ostream>
#include <string>

#include "absl/strings/string_view.h"

namespace CLI {
class App;
}

namespace ultracc::topo {

// Adds the `topo` subcommand to `app`. It runs while `app` parses, and a failure ends the parse
// with its exit code (CLI::RuntimeError, which CLI11_PARSE returns without printing).
void AddTopoCommand(CLI::App& app);

// Runs one action ("show", "validate", "dump") on SPEC; returns the exit code: 0, or 1 when the
// spec cannot be read or is not valid (the errors go to `err`).
int RunTopo(absl::string_view action, absl::string_view spec, std::ostream& out, std::ostream& err);

}  // namespace ultracc::topo
