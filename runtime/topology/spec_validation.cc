// The semantic checks of a TopologySpec, located through the parser's ParseInfoTree.
#include "runtime/topology/spec_validation.h"

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace ultracc::topology {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::TextFormat;
using ::ultracc::proto::LevelSpec;
using ::ultracc::proto::TopologySpec;

struct FieldRef {
  absl::string_view name;
  int index = -1;  // for repeated fields
};
using FieldPath = std::vector<FieldRef>;

std::string PathText(const FieldPath& path) {
  std::string text;
  for (const FieldRef& ref : path) {
    absl::StrAppend(&text, text.empty() ? "" : ".", ref.name);
    if (ref.index >= 0) absl::StrAppend(&text, "[", ref.index, "]");
  }
  return text;
}

// One level of the hierarchy as the spec describes it.
struct LevelView {
  absl::string_view name;        // the level's field: node, ultraserver, cluster
  absl::string_view count_name;  // the count of its members: chips_per_node, ...
  absl::string_view members;     // what the members are, for messages
  bool present;
  const LevelSpec* level;
  int count;
};

class SpecChecker {
 public:
  SpecChecker(const TopologySpec& spec, absl::string_view source,
              const TextFormat::ParseInfoTree* locations)
      : spec_(spec), source_(source), locations_(locations) {}

  absl::Status Check() {
    // Each count is checked on its own line so that every bad count is reported, not just the
    // first.
    const bool chips_ok = CheckCount("chips_per_node", spec_.chips_per_node());
    const bool nodes_ok = CheckCount("nodes_per_ultraserver", spec_.nodes_per_ultraserver());
    const bool servers_ok = CheckCount("ultraservers", spec_.ultraservers());
    const bool counts_ok = chips_ok && nodes_ok && servers_ok;
    const int64_t nodes = int64_t{spec_.nodes_per_ultraserver()} * spec_.ultraservers();
    const int64_t chips = nodes * spec_.chips_per_node();
    if (counts_ok && chips > kMaxChips) {
      Error({}, absl::StrFormat("%d chips (chips_per_node x nodes_per_ultraserver x ultraservers) "
                                "exceed the limit of %d",
                                chips, kMaxChips));
    }
    if (spec_.has_chip()) CheckChip();
    const LevelView levels[] = {
        {"node", "chips_per_node", "chips", spec_.has_node(), &spec_.node(),
         spec_.chips_per_node()},
        {"ultraserver", "nodes_per_ultraserver", "nodes", spec_.has_ultraserver(),
         &spec_.ultraserver(), spec_.nodes_per_ultraserver()},
        {"cluster", "ultraservers", "UltraServers", spec_.has_cluster(), &spec_.cluster(),
         spec_.ultraservers()}};
    for (const LevelView& level : levels) CheckLevel(level);
    if (counts_ok && chips <= kMaxChips) CheckHosts(static_cast<int>(nodes));
    if (errors_.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrJoin(errors_, "\n"));
  }

 private:
  // Where the deepest part of `path` the parser saw begins (line -1 when it saw none).
  TextFormat::ParseLocation Locate(const FieldPath& path) const {
    const Descriptor* type = TopologySpec::descriptor();
    const TextFormat::ParseInfoTree* tree = locations_;
    TextFormat::ParseLocation found;
    for (const FieldRef& ref : path) {
      const FieldDescriptor* field =
          type == nullptr ? nullptr : type->FindFieldByName(std::string(ref.name));
      if (field == nullptr || tree == nullptr) break;
      const int index = field->is_repeated() ? std::max(ref.index, 0) : -1;
      TextFormat::ParseLocation at = tree->GetLocation(field, index);
      if (at.line < 0) break;
      found = at;
      if (field->type() != FieldDescriptor::TYPE_MESSAGE) break;
      tree = tree->GetTreeForNested(field, index);
      type = field->message_type();
    }
    return found;
  }

  // "source:line:column: ", or "source: " when the text does not hold the field.
  std::string Where(const FieldPath& path) const {
    const TextFormat::ParseLocation found = Locate(path);
    if (found.line < 0) return absl::StrCat(source_, ": ");
    return absl::StrCat(source_, ":", found.line + 1, ":", found.column + 1, ": ");
  }

  void Error(const FieldPath& path, absl::string_view message) {
    const std::string field = PathText(path);
    errors_.push_back(absl::StrCat(Where(path), field, field.empty() ? "" : ": ", message));
  }

  bool CheckCount(absl::string_view name, int value) {
    if (value >= 1) return true;
    if (value == 0 && locations_ != nullptr && Locate({{name}}).line < 0) {
      Error({{name}}, "missing; it must be at least 1");
    } else {
      Error({{name}}, absl::StrCat("must be at least 1, got ", value));
    }
    return false;
  }

  // A finite number at least `min` (strictly above it when `strict`).
  void CheckNumber(const FieldPath& path, double value, double min, bool strict) {
    if (!std::isfinite(value)) {
      Error(path, absl::StrCat("must be a finite number, got ", value));
    } else if (strict ? value <= min : value < min) {
      Error(path, absl::StrCat("must be ", strict ? "positive" : "at least 0", ", got ", value));
    }
  }

  void CheckChip() {
    CheckNumber({{"chip"}, {"memory_gib"}}, spec_.chip().memory_gib(), 0, false);
    CheckNumber({{"chip"}, {"memory_bandwidth_gb_per_s"}}, spec_.chip().memory_bandwidth_gb_per_s(),
                0, false);
  }

  void CheckLevel(const LevelView& view) {
    if (!view.present) {
      if (view.count > 1) {
        Error({{view.count_name}},
              absl::StrFormat("%d %s need a `%s { ... }` level giving their links", view.count,
                              view.members, view.name));
      }
      return;
    }
    const LevelSpec& level = *view.level;
    if (level.shape() == LevelSpec::SHAPE_UNSPECIFIED) {
      Error({{view.name}, {"shape"}}, "missing; one of SWITCH, TORUS, RING, SHARED_MEMORY");
    }
    CheckNumber({{view.name}, {"bandwidth_gb_per_s"}}, level.bandwidth_gb_per_s(), 0, true);
    CheckNumber({{view.name}, {"latency_us"}}, level.latency_us(), 0, false);
    CheckTorus(view);
  }

  void CheckTorus(const LevelView& view) {
    const LevelSpec& level = *view.level;
    if (level.shape() != LevelSpec::TORUS) {
      if (level.torus_dims_size() > 0) {
        Error({{view.name}, {"torus_dims"}}, "given for a level whose shape is not TORUS");
      }
      return;
    }
    if (level.torus_dims_size() == 0) {
      Error({{view.name}, {"torus_dims"}}, "missing; a TORUS level needs its extents");
      return;
    }
    int64_t product = 1;
    for (int i = 0; i < level.torus_dims_size(); ++i) {
      const int dim = level.torus_dims(i);
      if (dim < 1) {
        Error({{view.name}, {"torus_dims", i}}, absl::StrCat("must be at least 1, got ", dim));
        return;
      }
      product = std::min(product * dim, kMaxChips + 1);
    }
    if (view.count >= 1 && product != view.count) {
      Error({{view.name}, {"torus_dims"}}, absl::StrFormat("%s = %d members, but %s is %d",
                                                           absl::StrJoin(level.torus_dims(), " x "),
                                                           product, view.count_name, view.count));
    }
  }

  void CheckHosts(int nodes) {
    std::map<int, int> placed;  // node -> index of the host that runs it
    for (int h = 0; h < spec_.hosts_size(); ++h) {
      const proto::HostSpec& host = spec_.hosts(h);
      if (host.host().empty()) Error({{"hosts", h}, {"host"}}, "missing; name the host");
      for (int i = 0; i < host.nodes_size(); ++i) {
        const int node = host.nodes(i);
        const FieldPath path = {{"hosts", h}, {"nodes", i}};
        if (node < 0 || node >= nodes) {
          Error(path,
                absl::StrFormat("node %d does not exist; nodes are 0 .. %d", node, nodes - 1));
        } else if (auto [it, added] = placed.emplace(node, h); !added) {
          Error(path,
                absl::StrFormat("node %d is placed twice (also in hosts[%d])", node, it->second));
        }
      }
    }
    if (spec_.hosts_size() == 0) return;
    for (int node = 0; node < nodes; ++node) {
      if (!placed.contains(node)) {
        Error({{"hosts"}}, absl::StrFormat("node %d is on no host; list every node of the %d, or "
                                           "no hosts at all",
                                           node, nodes));
        return;
      }
    }
  }

  const TopologySpec& spec_;
  std::string source_;
  const TextFormat::ParseInfoTree* locations_;
  std::vector<std::string> errors_;
};

}  // namespace

absl::Status ValidateTopologySpec(const TopologySpec& spec, absl::string_view source,
                                  const TextFormat::ParseInfoTree* locations) {
  return SpecChecker(spec, source, locations).Check();
}

}  // namespace ultracc::topology
