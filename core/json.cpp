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

namespace {

// A forward scan over valid JSON text: just enough structure to find values' extents.
class RawScanner {
 public:
  explicit RawScanner(std::string_view text) : text_(text) {}
  size_t pos() const { return pos_; }
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  void SkipWs() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' || Peek() == '\r')) {
      ++pos_;
    }
  }
  bool Eat(char c) {
    SkipWs();
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  // A string starting at pos (its quote); the raw text between the quotes.
  bool String(std::string_view& raw) {
    if (Peek() != '"') return false;
    size_t start = ++pos_;
    while (!AtEnd() && Peek() != '"') pos_ += Peek() == '\\' ? 2 : 1;
    if (AtEnd()) return false;
    raw = text_.substr(start, pos_ - start);
    ++pos_;
    return true;
  }
  // Skips the value at pos.
  bool Value() {
    SkipWs();
    char c = Peek();
    if (c == '"') {
      std::string_view ignored;
      return String(ignored);
    }
    if (c == '{' || c == '[') {
      int depth = 0;
      while (!AtEnd()) {
        char d = Peek();
        if (d == '"') {
          std::string_view ignored;
          if (!String(ignored)) return false;
          continue;
        }
        if (d == '{' || d == '[') ++depth;
        if (d == '}' || d == ']') --depth;
        ++pos_;
        if (depth == 0) return true;
      }
      return false;
    }
    size_t start = pos_;
    while (!AtEnd() && std::string_view(",}] \t\r\n").find(Peek()) == std::string_view::npos) {
      ++pos_;
    }
    return pos_ > start;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::vector<std::string>> RawArrayElements(std::string_view text, std::string_view key) {
  auto malformed = [] { return InvalidArgument("Malformed JSON: expected an object"); };
  RawScanner scan(text);
  std::vector<std::string> out;
  if (!scan.Eat('{')) return malformed();
  if (scan.Eat('}')) return out;
  while (true) {
    scan.SkipWs();
    std::string_view name;
    if (!scan.String(name) || !scan.Eat(':')) return malformed();
    scan.SkipWs();
    if (name == key) {
      if (!scan.Eat('[')) {
        return InvalidArgument("Field '" + std::string(key) + "' must be an array");
      }
      if (scan.Eat(']')) return out;
      while (true) {
        scan.SkipWs();
        size_t start = scan.pos();
        if (!scan.Value()) return malformed();
        std::string element(text.substr(start, scan.pos() - start));
        bool in_string = false;
        for (size_t i = 0; i < element.size(); ++i) {
          char c = element[i];
          if (in_string && c == '\\') {
            ++i;
          } else if (c == '"') {
            in_string = !in_string;
          } else if (!in_string && (c == '\n' || c == '\r')) {
            element[i] = ' ';
          }
        }
        out.push_back(std::move(element));
        if (scan.Eat(']')) return out;
        if (!scan.Eat(',')) return malformed();
      }
    }
    if (!scan.Value()) return malformed();
    if (scan.Eat('}')) return out;
    if (!scan.Eat(',')) return malformed();
  }
}

}  // namespace pc
