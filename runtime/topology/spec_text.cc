// Text-format parsing with located errors, and printing.
#include "runtime/topology/spec_text.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "runtime/topology/field_at_position.h"
#include "runtime/topology/spec_validation.h"

namespace ultracc::topology {
namespace {

using ::google::protobuf::TextFormat;

// The name in `field "x"` or `field named "x"` of a parser message, else empty.
std::string FieldNamedIn(absl::string_view message) {
  for (absl::string_view marker : {"field named \"", "field \""}) {
    const size_t at = message.find(marker);
    if (at == absl::string_view::npos) continue;
    const absl::string_view rest = message.substr(at + marker.size());
    return std::string(rest.substr(0, rest.find('"')));
  }
  return "";
}

// Collects the parser's errors as "source:line:column: field: message" (1-based positions).
class LocatedErrors : public google::protobuf::io::ErrorCollector {
 public:
  LocatedErrors(absl::string_view text, absl::string_view source) : text_(text), source_(source) {}

  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    std::string where = absl::StrCat(source_, ":", line + 1, ":", column + 1, ": ");
    // The parser reports some value errors after the value, at the next field; its message then
    // names the field it meant, which wins over the position.
    const FieldPosition at = FieldAtPosition(text_, line, column, FieldNamedIn(message));
    if (at.at_end && !at.open.empty()) {
      // At the end of the text the parser only says what token it expected.
      errors_.push_back(absl::StrCat(where, absl::StrJoin(at.open, "."),
                                     ": the text ends inside this message; a '}' is missing"));
      return;
    }
    const std::string path = at.Path();
    if (!path.empty()) absl::StrAppend(&where, path, ": ");
    errors_.push_back(absl::StrCat(where, message));
  }
  void AddWarning(int line, google::protobuf::io::ColumnNumber column,
                  const std::string& message) override {}

  std::string Joined() const { return absl::StrJoin(errors_, "\n"); }
  bool empty() const { return errors_.empty(); }

 private:
  absl::string_view text_;
  std::string source_;
  std::vector<std::string> errors_;
};

}  // namespace

absl::StatusOr<proto::TopologySpec> ParseTopologySpec(absl::string_view text,
                                                      absl::string_view source) {
  proto::TopologySpec spec;
  LocatedErrors errors(text, source);
  TextFormat::ParseInfoTree locations;
  TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&locations);
  if (!parser.ParseFromString(std::string(text), &spec)) {
    if (errors.empty()) return absl::InvalidArgumentError(absl::StrCat(source, ": not a topology"));
    return absl::InvalidArgumentError(errors.Joined());
  }
  if (absl::Status valid = ValidateTopologySpec(spec, source, &locations); !valid.ok()) {
    return valid;
  }
  return spec;
}

absl::StatusOr<proto::TopologySpec> ReadTopologySpecFile(const std::string& path) {
  std::ifstream file(path);
  if (std::filesystem::is_directory(path)) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is a directory, not a topology file"));
  }
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read topology file ", path));
  std::stringstream text;
  text << file.rdbuf();
  if (file.bad()) return absl::DataLossError(absl::StrCat("error reading topology file ", path));
  return ParseTopologySpec(text.str(), path);
}

std::string PrintTopologySpec(const proto::TopologySpec& spec) {
  std::string text;
  TextFormat::Printer printer;
  printer.PrintToString(spec, &text);
  return text;
}

}  // namespace ultracc::topology
