// JSON helpers over Boost.JSON: parsing with a person-readable error, and typed field access
// that reports which field is wrong and why.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace pc {

namespace json = boost::json;

// Parses `text` as one JSON value. Errors: InvalidArgument "Malformed JSON at line L, column C:
// <reason>". Nesting deeper than max_depth is rejected.
Result<json::value> ParseJson(std::string_view text, size_t max_depth = 64);
// Parses `text` and requires a JSON object ("The request body must be a JSON object").
Result<json::object> ParseJsonObject(std::string_view text);

// Field access on an object. Missing required fields and wrong types are InvalidArgument errors
// naming the field: "Field 'email' is required", "Field 'email' must be a string".
Result<std::string> RequiredString(const json::object& o, std::string_view key);
Result<std::optional<std::string>> OptionalString(const json::object& o, std::string_view key);
Result<std::optional<bool>> OptionalBool(const json::object& o, std::string_view key);
Result<std::optional<int64_t>> OptionalInt(const json::object& o, std::string_view key);

// The elements of the array `key` of the top-level object in `text`, each as the exact text it
// was sent as (numbers keep every digit: Boost.JSON would read them as doubles), with line breaks
// outside strings turned into spaces so each element fits on one line. `text` must be valid JSON
// (parse it first). An absent key gives no elements; a key that is not an array is an error.
Result<std::vector<std::string>> RawArrayElements(std::string_view text, std::string_view key);

// Compact serialization.
std::string ToJson(const json::value& v);

}  // namespace pc
