// Flag parsing of the benchmark; see bench_options.h.
#include "tools/bench/bench_options.h"

#include <cstdlib>
#include <map>

#include "tools/bench/element_values.h"

namespace ultracc::bench {
namespace {

bool ParseInt(const std::string& text, int min, int max, int* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (*end != '\0' || v < min || v > max) return false;
  *out = static_cast<int>(v);
  return true;
}

bool ParseDouble(const std::string& text, double min, double* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (*end != '\0' || !(v >= min)) return false;
  *out = v;
  return true;
}

// Splits "a,b" and expands "all" with `every`; false when a name is not in `every`.
bool ParseList(const std::string& text, const std::vector<std::string>& every,
               std::vector<std::string>* out, std::string* bad) {
  out->clear();
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string name =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (name == "all") {
      out->insert(out->end(), every.begin(), every.end());
    } else {
      bool known = false;
      for (const std::string& e : every) known = known || e == name;
      if (!known) {
        *bad = name;
        return false;
      }
      out->push_back(name);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return !out->empty();
}

std::vector<std::string> TypeNames() {
  std::vector<std::string> names;
  for (const TypeInfo& t : AllTypes()) names.push_back(t.name);
  return names;
}

std::vector<std::string> OpNames() {
  std::vector<std::string> names;
  for (const OpInfo& o : AllOps()) names.push_back(o.name);
  return names;
}

std::string Join(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : " ") + n;
  return s;
}

// Long spellings of the flags that take a value (nccl-tests' names), mapped to the short ones.
const std::map<std::string, std::string>& LongFlags() {
  static const std::map<std::string, std::string> flags = {
      {"--minbytes", "-b"}, {"--maxbytes", "-e"},     {"--stepfactor", "-f"}, {"--stepbytes", "-i"},
      {"--iters", "-n"},    {"--warmup_iters", "-w"}, {"--check", "-c"},      {"--datatype", "-d"},
      {"--op", "-o"},       {"--root", "-r"},         {"--average", "-a"},    {"--blocking", "-z"},
      {"--timeout", "-T"}};
  return flags;
}

}  // namespace

const std::vector<std::string>& AllCollectives() {
  static const std::vector<std::string> names = {"all_reduce", "reduce_scatter", "all_gather",
                                                 "all_to_all", "all_to_allv",    "broadcast",
                                                 "reduce",     "send_recv",      "permute"};
  return names;
}

std::string CanonicalCollective(const std::string& name) {
  static const std::map<std::string, std::string> aliases = {
      {"allr", "all_reduce"},       {"allreduce", "all_reduce"},
      {"redsct", "reduce_scatter"}, {"reducescatter", "reduce_scatter"},
      {"allg", "all_gather"},       {"allgather", "all_gather"},
      {"alltoall", "all_to_all"},   {"alltoallv", "all_to_allv"},
      {"bcast", "broadcast"},       {"sendrecv", "send_recv"}};
  for (const std::string& c : AllCollectives()) {
    if (c == name) return c;
  }
  auto it = aliases.find(name);
  return it == aliases.end() ? std::string() : it->second;
}

bool HasRedOp(const std::string& c) {
  return c == "all_reduce" || c == "reduce_scatter" || c == "reduce";
}
bool HasRoot(const std::string& c) { return c == "broadcast" || c == "reduce"; }

bool ParseSize(const std::string& text, size_t* bytes) {
  if (text.empty() || text[0] < '0' || text[0] > '9') return false;
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  std::string suffix(end);
  unsigned shift = 0;
  if (suffix == "K" || suffix == "k") {
    shift = 10;
  } else if (suffix == "M" || suffix == "m") {
    shift = 20;
  } else if (suffix == "G" || suffix == "g") {
    shift = 30;
  } else if (!suffix.empty()) {
    return false;
  }
  if (v > (~0ull >> shift)) return false;
  *bytes = static_cast<size_t>(v << shift);
  return true;
}

bool ParseBenchArgs(const std::vector<std::string>& args, BenchOptions* o, std::string* error) {
  bool factor_given = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "--show-algorithm") {
      o->show_algorithm = true;
      continue;
    }
    if (arg == "--progress") {
      o->progress = true;
      continue;
    }
    std::string flag, value;
    bool takes_value = true;
    if (auto it = LongFlags().find(arg); it != LongFlags().end()) {
      flag = it->second;
    } else if (arg == "--json" || arg == "--csv" || arg == "--topology") {
      flag = arg;
    } else if (arg.size() >= 2 && arg[0] == '-' && arg[1] != '-') {
      flag = arg.substr(0, 2);
      if (arg.size() > 2) value = arg.substr(2);
    } else if (arg[0] != '-') {
      takes_value = false;
      std::string canonical;
      std::vector<std::string> names;
      if (!ParseList(arg, AllCollectives(), &names, &canonical)) {
        // Aliases are allowed in a list too.
        names.clear();
        size_t start = 0;
        while (start <= arg.size()) {
          size_t comma = arg.find(',', start);
          std::string word = arg.substr(start, comma == std::string::npos ? comma : comma - start);
          std::string c = CanonicalCollective(word);
          if (c.empty()) {
            *error = "unknown collective '" + word +
                     "' (COLLECTIVE is one of: " + Join(AllCollectives()) +
                     ", all, or nccom-test's allr allg redsct alltoall alltoallv sendrecv permute)";
            return false;
          }
          names.push_back(c);
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
      }
      o->collectives.insert(o->collectives.end(), names.begin(), names.end());
      continue;
    } else {
      *error = "unknown flag '" + arg + "'\n" + BenchUsage();
      return false;
    }
    if (takes_value && value.empty()) {
      if (i + 1 >= args.size()) {
        *error = flag + ": missing value";
        return false;
      }
      value = args[++i];
    }
    auto bad = [&](const std::string& what) {
      *error = flag + ": bad value '" + value + "' (" + what + ")";
      return false;
    };
    std::string bad_name;
    if (flag == "-b" || flag == "-e" || flag == "-i") {
      size_t* target = flag == "-b" ? &o->min_bytes : flag == "-e" ? &o->max_bytes : &o->step_bytes;
      if (!ParseSize(value, target))
        return bad("bytes: a number with an optional K, M or G suffix");
    } else if (flag == "-f") {
      if (!ParseDouble(value, 1.0, &o->step_factor)) return bad("a step factor >= 1");
      factor_given = true;
    } else if (flag == "-n") {
      if (!ParseInt(value, 1, 1 << 30, &o->iters)) return bad("iterations >= 1");
    } else if (flag == "-w") {
      if (!ParseInt(value, 0, 1 << 30, &o->warmup)) return bad("warm-up iterations >= 0");
    } else if (flag == "-c") {
      if (!ParseInt(value, 0, 1 << 20, &o->check)) return bad("check iterations >= 0");
      o->check_given = true;
    } else if (flag == "-d") {
      if (!ParseList(value, TypeNames(), &o->types, &bad_name)) {
        return bad("unknown datatype '" + bad_name + "'; one of " + Join(TypeNames()) + ", all");
      }
    } else if (flag == "-o") {
      if (!ParseList(value, OpNames(), &o->ops, &bad_name)) {
        return bad("unknown op '" + bad_name + "'; one of " + Join(OpNames()) + ", all");
      }
    } else if (flag == "-r") {
      if (!ParseInt(value, 0, 1 << 30, &o->root)) return bad("a root rank >= 0");
    } else if (flag == "-a") {
      if (!ParseInt(value, 0, 3, &o->average)) return bad("0 rank 0, 1 mean, 2 min, 3 max");
    } else if (flag == "-z") {
      if (!ParseInt(value, 0, 1, &o->blocking)) return bad("0 or 1");
    } else if (flag == "-T") {
      if (!ParseDouble(value, 0.0, &o->timeout_s)) return bad("seconds >= 0");
    } else if (flag == "--json") {
      o->json_path = value;
    } else if (flag == "--csv") {
      o->csv_path = value;
    } else if (flag == "--topology") {
      o->topology = value;
    } else {
      *error = "unknown flag '" + arg + "'\n" + BenchUsage();
      return false;
    }
  }
  if (o->collectives.empty()) o->collectives = {"all_reduce"};
  if (o->min_bytes > o->max_bytes) {
    *error =
        "-b " + std::to_string(o->min_bytes) + " is larger than -e " + std::to_string(o->max_bytes);
    return false;
  }
  if (o->step_bytes == 0 && o->step_factor <= 1.0 && o->min_bytes != o->max_bytes) {
    *error = "-f must be > 1 (or give -i step bytes) to sweep from -b to -e";
    return false;
  }
  if (factor_given && o->step_bytes != 0) o->step_bytes = 0;  // nccl-tests: -f wins over -i
  return true;
}

std::string BenchUsage() {
  return "bench flags (nccl-tests): -b MIN -e MAX bytes (K/M/G suffixes), -f step factor, "
         "-i step bytes, -n iters, -w warm-up iters, -c check iters (0: #wrong N/A), "
         "-d dtype|all, -o sum|prod|max|min|avg|all, -r root, -a 0|1|2|3 (rank 0, mean, min, "
         "max), -z 0|1 blocking, -T timeout seconds; --json FILE, --csv FILE, --show-algorithm, "
         "--topology SPEC (predicted column), "
         "--progress";
}

}  // namespace ultracc::bench
