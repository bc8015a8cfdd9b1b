// Which field a position in a text-format message belongs to, so a syntax error the protobuf
// parser reports by line and column ("Expected integer, got: x") can also name the field
// ("node.latency_us").
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ultracc::topology {

struct FieldPosition {
  std::vector<std::string> open;  // the messages the position is inside, outermost first
  std::string field;              // the last field named in the innermost of them (may be empty)
  bool at_end = false;            // no token at or after the position: the text ended there

  // "ultraserver.bandwidth_gb_per_s": the open messages and the field.
  std::string Path() const;
};

// Where `line`:`column` (0-based, as the parser reports them) falls: the field whose name or value
// comes last before it. A non-empty `field` (a name the parser's message gives) replaces the last
// field seen.
FieldPosition FieldAtPosition(absl::string_view text, int line, int column,
                              absl::string_view field = "");

}  // namespace ultracc::topology
