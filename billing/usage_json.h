// JSON lines (internal to the usage readers; their contract is usage_reader.h): one flat object
// per line; nested values are skipped, numbers kept as text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pc::billing::internal {

struct JsonField {
  std::string key;  // lower case
  std::string value;
  bool null = false;
};

// Parses one line into `out` (its keys in lower case); false with `error` (naming the column of
// the line) when it is not one JSON object.
bool ParseJsonLine(std::string_view line, std::vector<JsonField>& out, std::string& error);

}  // namespace pc::billing::internal
