// One CSV record (RFC 4180) read field by field (internal to the usage readers; their contract is
// usage_reader.h): the slow, simple reader for a file's header. The rows are read by the chunk
// parsers (usage_parsers.h), which find the same structure 64 bytes at a time.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pc::billing::internal {

// Parses one record at `pos` of `text` (which holds whole records) and advances past its line
// terminator. Fields are views into `text`, or into `scratch` for quoted fields with doubled
// quotes; `scratch` must have capacity for the record (it is appended to, never reallocated).
// Returns false with `error` set for a malformed record (pos still advances).
bool NextCsvRecord(std::string_view text, size_t& pos, std::vector<std::string_view>& fields,
                   std::string& scratch, std::string& error, std::string& error_value);

}  // namespace pc::billing::internal
