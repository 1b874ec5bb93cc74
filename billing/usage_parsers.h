// Chunk parsers (internal to the usage readers; their contract is usage_reader.h): whole records
// of text → rows handed to a sink. CSV finds its structure 64 bytes at a time (byte_scan.h);
// JSON lines go line by line.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "billing/line_identity.h"
#include "billing/usage_columns.h"
#include "billing/usage_reader.h"

namespace pc::billing::internal {

// What the header (or the first line) said about the file.
struct Schema {
  UsageFormat format = UsageFormat::kPartnerCenterCsv;
  bool json = false;
  std::string file;
  size_t header_size = 0;
  std::vector<std::string> header_names;  // as written, for messages
  std::vector<int> index;                 // column spec → header position (-1 absent)
  LineIdentityKey line_identity = LineIdentityKey::Public();
  RowRules rules;
};

class ChunkParser {
 public:
  virtual ~ChunkParser() = default;
  // Parses `text` (whole records; its first line is `first_line` of the file). Returns the
  // sink's error, if any.
  virtual Status Parse(std::string_view text, int64_t first_line, UsageSink& sink) = 0;
};

// A parser for the schema's format; one per thread.
std::unique_ptr<ChunkParser> MakeParser(const Schema& schema);

}  // namespace pc::billing::internal
