// Which field a position in a text-format message belongs to, so a syntax error the protobuf
// parser reports by line and column ("Expected integer, got: x") can also name the field
// ("node.latency_us").
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace ultracc::topology {

// The dotted path of the field whose name or value comes last before `line`:`column` (0-based, as
// the parser reports them), e.g. "ultraserver.bandwidth_gb_per_s"; the enclosing message's path
// when no field started in it yet; empty at the top before any field. A non-empty `field` (a name
// the parser's message gives) replaces the last field seen inside the enclosing message.
std::string FieldPathAt(absl::string_view text, int line, int column, absl::string_view field = "");

}  // namespace ultracc::topology
