// Rendering a topology for `ultracc topo show`.
#include "tools/topo/topology_report.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace ultracc::topo {
namespace {

using topology::TopologyLevel;

std::string Plural(int64_t count, absl::string_view noun) {
  return absl::StrCat(count, " ", noun, count == 1 ? "" : "s");
}

std::string ShapeName(proto::LevelSpec::Shape shape) {
  switch (shape) {
    case proto::LevelSpec::SWITCH:
      return "switch";
    case proto::LevelSpec::TORUS:
      return "torus";
    case proto::LevelSpec::RING:
      return "ring";
    case proto::LevelSpec::SHARED_MEMORY:
      return "shared memory";
    default:
      return "unspecified";
  }
}

std::string Links(const TopologyLevel& level) {
  if (!level.has_links) return "no links given";
  std::string shape = ShapeName(level.links.shape());
  if (level.links.torus_dims_size() > 0) {
    absl::StrAppend(&shape, " ", absl::StrJoin(level.links.torus_dims(), "x"));
  }
  return absl::StrFormat("%s (%s), %s per chip, %g us per hop",
                         level.links.link().empty() ? "links" : level.links.link(), shape,
                         FormatBandwidth(level.bandwidth_gb_per_s()), level.latency_us());
}

// "a: 0-3, 5; b: 4" — each host with its nodes, runs of consecutive nodes joined.
std::string Hosts(const proto::TopologySpec& spec) {
  if (spec.hosts_size() == 0) return "not given: every node runs on the host that starts the job";
  std::vector<std::string> hosts;
  for (const proto::HostSpec& host : spec.hosts()) {
    std::vector<std::string> runs;
    for (int i = 0; i < host.nodes_size();) {
      int j = i;
      while (j + 1 < host.nodes_size() && host.nodes(j + 1) == host.nodes(j) + 1) ++j;
      runs.push_back(j == i ? absl::StrCat(host.nodes(i))
                            : absl::StrCat(host.nodes(i), "-", host.nodes(j)));
      i = j + 1;
    }
    hosts.push_back(absl::StrCat(host.host(), ": node", host.nodes_size() == 1 ? " " : "s ",
                                 absl::StrJoin(runs, ", ")));
  }
  return absl::StrJoin(hosts, "; ");
}

}  // namespace

std::string FormatBandwidth(double gb_per_s) {
  if (gb_per_s >= 1e6) return absl::StrFormat("%.4g PB/s", gb_per_s / 1e6);
  if (gb_per_s >= 1e3) return absl::StrFormat("%.4g TB/s", gb_per_s / 1e3);
  return absl::StrFormat("%.4g GB/s", gb_per_s);
}

std::string DescribeTopology(const topology::Topology& topology) {
  const proto::TopologySpec& spec = topology.spec();
  std::string out =
      absl::StrCat("topology ", spec.name().empty() ? "(unnamed)" : spec.name(), "\n");
  if (!spec.description().empty()) absl::StrAppend(&out, "  ", spec.description(), "\n");
  absl::StrAppend(&out, "\n");

  // From the cluster down: each level's units, members and links, then the chips.
  std::string indent;
  for (int i = topology::kLevelCount - 1; i >= 0; --i) {
    const TopologyLevel& level = topology.levels()[i];
    absl::StrAppend(&out, indent, level.name, " x", level.units, ": ",
                    Plural(level.members, level.member_name), ", ", Links(level), "\n");
    if (level.has_links && level.members > 1) {
      absl::StrAppend(&out, indent, "  aggregate ", FormatBandwidth(level.AggregateGbPerS()),
                      " per ", level.name, ", bisection ", FormatBandwidth(level.BisectionGbPerS()),
                      "\n");
    }
    indent += "  ";
  }
  const proto::ChipSpec& chip = spec.chip();
  absl::StrAppend(&out, indent, "chip x", topology.chips(), ": ",
                  chip.name().empty() ? "chip" : chip.name());
  if (chip.memory_gib() > 0) absl::StrAppend(&out, absl::StrFormat(", %g GiB", chip.memory_gib()));
  if (chip.memory_bandwidth_gb_per_s() > 0) {
    absl::StrAppend(&out, " at ", FormatBandwidth(chip.memory_bandwidth_gb_per_s()));
  }
  absl::StrAppend(&out, "\n\n");

  const auto& levels = topology.levels();
  absl::StrAppend(&out, "total                ", Plural(topology.chips(), "chip"), " = ",
                  Plural(levels[2].members, "UltraServer"), " x ",
                  Plural(levels[1].members, "node"), " x ", Plural(levels[0].members, "chip"),
                  "\n");
  absl::StrAppend(
      &out, absl::StrFormat("%-20s %-14s %-14s %-12s %-16s %s\n", "level", "units", "per chip",
                            "latency", "aggregate (all)", "bisection (per unit)"));
  for (const TopologyLevel& level : levels) {
    if (!level.has_links) continue;
    absl::StrAppend(
        &out, absl::StrFormat(
                  "%-20s %-14d %-14s %-12s %-16s %s\n", level.name, level.units,
                  FormatBandwidth(level.bandwidth_gb_per_s()),
                  absl::StrFormat("%g us", level.latency_us()),
                  FormatBandwidth(level.AggregateGbPerS() * level.units),
                  level.members > 1 ? FormatBandwidth(level.BisectionGbPerS()) : std::string("-")));
  }
  const TopologyLevel* cut = topology.BisectionLevel();
  absl::StrAppend(&out, "bisection bandwidth  ",
                  cut == nullptr ? "none (one chip)"
                                 : absl::StrCat(FormatBandwidth(topology.BisectionGbPerS()),
                                                " (halving the ", cut->name, " level)"),
                  "\n");
  absl::StrAppend(&out, "hosts                ", Hosts(spec), "\n");
  return out;
}

}  // namespace ultracc::topo
