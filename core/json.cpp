#include "core/json.h"

namespace pc {

namespace {

// 1-based line and column of byte `offset` in `text`.
std::pair<size_t, size_t> LineColumn(std::string_view text, size_t offset) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

}  // namespace

Result<json::value> ParseJson(std::string_view text, size_t max_depth) {
  json::parse_options opts;
  opts.max_depth = max_depth;
  json::stream_parser parser({}, opts);
  boost::system::error_code ec;
  size_t consumed = parser.write_some(text.data(), text.size(), ec);
  if (!ec && consumed < text.size()) ec = json::error::extra_data;
  if (!ec) parser.finish(ec);
  if (ec) {
    auto [line, col] = LineColumn(text, consumed);
    if (text.empty()) return InvalidArgument("Malformed JSON: the body is empty");
    return InvalidArgument("Malformed JSON at line " + std::to_string(line) + ", column " +
                           std::to_string(col) + ": " + ec.message());
  }
  return parser.release();
}

Result<json::object> ParseJsonObject(std::string_view text) {
  PC_ASSIGN_OR_RETURN(json::value v, ParseJson(text));
  if (!v.is_object()) return InvalidArgument("The request body must be a JSON object");
  return std::move(v.as_object());
}

Result<std::string> RequiredString(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) {
    return InvalidArgument("Field '" + std::string(key) + "' is required");
  }
  if (!it->value().is_string()) {
    return InvalidArgument("Field '" + std::string(key) + "' must be a string");
  }
  return std::string(it->value().as_string());
}

Result<std::optional<std::string>> OptionalString(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<std::string>{};
  if (!it->value().is_string()) {
    return InvalidArgument("Field '" + std::string(key) + "' must be a string");
  }
  return std::optional<std::string>(std::string(it->value().as_string()));
}

Result<std::optional<bool>> OptionalBool(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<bool>{};
  if (!it->value().is_bool()) {
    return InvalidArgument("Field '" + std::string(key) + "' must be true or false");
  }
  return std::optional<bool>(it->value().as_bool());
}

Result<std::optional<int64_t>> OptionalInt(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<int64_t>{};
  if (it->value().is_int64()) return std::optional<int64_t>(it->value().as_int64());
  if (it->value().is_uint64() && it->value().as_uint64() <= INT64_MAX) {
    return std::optional<int64_t>(static_cast<int64_t>(it->value().as_uint64()));
  }
  return InvalidArgument("Field '" + std::string(key) + "' must be an integer");
}

std::string ToJson(const json::value& v) { return json::serialize(v); }

}  // namespace pc
