// The `ultracc topo` subcommand.
#include "tools/topo/topo_command.h"

#include <iostream>
#include <memory>

#include "CLI/CLI.hpp"
#include "absl/strings/str_join.h"
#include "runtime/topology/presets.h"
#include "runtime/topology/spec_text.h"
#include "runtime/topology/topology_source.h"
#include "tools/topo/topology_report.h"

namespace ultracc::topo {

int RunTopo(absl::string_view action, absl::string_view spec, std::ostream& out,
            std::ostream& err) {
  absl::StatusOr<topology::Topology> loaded = topology::LoadTopology(spec);
  if (!loaded.ok()) {
    err << "ultracc topo " << action << ": " << loaded.status().message() << "\n";
    return 1;
  }
  if (action == "show") {
    out << DescribeTopology(*loaded);
  } else if (action == "validate") {
    out << "OK: " << (loaded->spec().name().empty() ? std::string(spec) : loaded->spec().name())
        << ", " << loaded->chips() << " chips\n";
  } else {
    out << topology::PrintTopologySpec(loaded->spec());
  }
  return 0;
}

void AddTopoCommand(CLI::App& app) {
  const std::string presets = absl::StrJoin(topology::PresetNames(), ", ");
  CLI::App* topo = app.add_subcommand(
      "topo", "the cluster shape a job emulates: ultracc topo show|validate|dump SPEC");
  topo->require_subcommand(1);
  const struct {
    const char* name;
    const char* help;
  } actions[] = {
      {"show", "print the levels, chip counts, per-level and bisection bandwidth"},
      {"validate", "print OK, or the errors naming field and line (exit 1)"},
      {"dump", "print the spec in text format"},
  };
  for (const auto& action : actions) {
    CLI::App* command = topo->add_subcommand(action.name, action.help);
    auto spec = std::make_shared<std::string>();
    command->add_option("SPEC", *spec, "a preset (" + presets + ") or a .textproto file")
        ->required();
    const std::string name = action.name;
    command->callback([name, spec] {
      const int code = RunTopo(name, *spec, std::cout, std::cerr);
      if (code != 0) throw CLI::RuntimeError(code);
    });
  }
}

}  // namespace ultracc::topo
