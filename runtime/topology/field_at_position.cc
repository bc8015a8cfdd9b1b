// Walks the text with protobuf's own tokenizer (so strings and comments never confuse it), keeping
// the stack of open messages and the last field name seen.
#include "runtime/topology/field_at_position.h"

#include <vector>

#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace ultracc::topology {
namespace {

using ::google::protobuf::io::ArrayInputStream;
using ::google::protobuf::io::Tokenizer;

// The parser already reported the error; tokenizing the same text again must stay quiet.
class SilentErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
};

// Tokens from the error on are left out: the parser reports an unknown name after it and a bad
// value at it, and a value belongs to the field named before it.
bool AtOrAfter(const Tokenizer::Token& token, int line, int column) {
  return token.line > line || (token.line == line && token.column >= column);
}

}  // namespace

std::string FieldPosition::Path() const {
  std::vector<std::string> path = open;
  if (!field.empty()) path.push_back(field);
  return absl::StrJoin(path, ".");
}

FieldPosition FieldAtPosition(absl::string_view text, int line, int column,
                              absl::string_view field) {
  ArrayInputStream input(text.data(), static_cast<int>(text.size()));
  SilentErrors errors;
  Tokenizer tokenizer(&input, &errors);
  tokenizer.set_comment_style(Tokenizer::SH_COMMENT_STYLE);

  FieldPosition at;
  at.at_end = true;
  bool value_next = false;  // after ':' an identifier is a value (an enum), not a name
  int list_depth = 0;       // inside [ ... ] identifiers are values too
  while (tokenizer.Next()) {
    const Tokenizer::Token& token = tokenizer.current();
    if (AtOrAfter(token, line, column)) {
      at.at_end = false;
      break;
    }
    if (token.type == Tokenizer::TYPE_IDENTIFIER) {
      if (!value_next && list_depth == 0) at.field = token.text;
      value_next = false;
      continue;
    }
    value_next = token.text == ":";
    if (token.text == "[") {
      ++list_depth;
    } else if (token.text == "]" && list_depth > 0) {
      --list_depth;
    } else if ((token.text == "{" || token.text == "<") && !at.field.empty()) {
      at.open.push_back(at.field);  // "name {" and "name: {" both open a message
      at.field.clear();
    } else if ((token.text == "}" || token.text == ">") && !at.open.empty()) {
      at.field = at.open.back();  // an error just after a closed message belongs to it
      at.open.pop_back();
    }
  }
  if (!field.empty()) at.field = std::string(field);
  return at;
}

}  // namespace ultracc::topology
