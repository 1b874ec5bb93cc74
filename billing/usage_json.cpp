#include "billing/usage_json.h"

#include <cctype>
#include <cstdint>

#include "billing/usage_reader.h"
#include "billing/usage_text.h"

namespace pc::billing::internal {

namespace {

class JsonLineParser {
 public:
  explicit JsonLineParser(std::string_view s) : s_(s) {}

  bool Parse(std::vector<JsonField>& out, std::string& error) {
    SkipWs();
    if (!Eat('{')) return Fail(error, "is not a JSON object (expected '{')");
    SkipWs();
    if (Eat('}')) return End(error);
    while (true) {
      SkipWs();
      std::string key;
      if (!String(key)) return Fail(error, err_.empty() ? "expected a quoted key" : err_);
      SkipWs();
      if (!Eat(':')) return Fail(error, "expected ':' after a key");
      SkipWs();
      JsonField f;
      f.key = Lower(key);
      if (!Value(f, 0)) return Fail(error, err_.empty() ? "malformed value" : err_);
      out.push_back(std::move(f));
      SkipWs();
      if (Eat(',')) continue;
      if (Eat('}')) return End(error);
      return Fail(error, "expected ',' or '}'");
    }
  }

 private:
  bool End(std::string& error) {
    SkipWs();
    if (p_ != s_.size()) return Fail(error, "has text after the JSON object");
    return true;
  }
  bool Fail(std::string& error, const std::string& why) {
    error = "malformed JSON at column " + std::to_string(p_ + 1) + ": " + why;
    return false;
  }
  void SkipWs() {
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\t' || s_[p_] == '\r' || s_[p_] == '\n'))
      ++p_;
  }
  bool Eat(char c) {
    if (p_ < s_.size() && s_[p_] == c) {
      ++p_;
      return true;
    }
    return false;
  }
  bool Literal(std::string_view word) {
    if (s_.substr(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }
  static void AppendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }
  bool Hex4(uint32_t& v) {
    if (p_ + 4 > s_.size()) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[p_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<uint32_t>(c - 'A' + 10);
      else
        return false;
    }
    return true;
  }
  bool String(std::string& out) {
    if (!Eat('"')) return false;
    size_t start = p_;
    while (p_ < s_.size()) {
      unsigned char c = static_cast<unsigned char>(s_[p_]);
      if (c == '"') {
        ++p_;
        if (!IsValidUtf8(out)) return (err_ = "a string is not valid UTF-8", false);
        return true;
      }
      if (c < 0x20) return (err_ = "a control character inside a string", false);
      if (c != '\\') {
        out += static_cast<char>(c);
        ++p_;
        continue;
      }
      ++p_;
      if (p_ >= s_.size()) break;
      char e = s_[p_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(cp)) return (err_ = "a bad \\u escape", false);
          if (cp >= 0xd800 && cp <= 0xdbff) {
            uint32_t lo;
            if (!Literal("\\u") || !Hex4(lo) || lo < 0xdc00 || lo > 0xdfff)
              return (err_ = "an unpaired surrogate escape", false);
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          } else if (cp >= 0xdc00 && cp <= 0xdfff) {
            return (err_ = "an unpaired surrogate escape", false);
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          return (err_ = "a bad escape in a string", false);
      }
    }
    (void)start;
    return (err_ = "an unterminated string", false);
  }
  bool Value(JsonField& f, int depth) {
    if (depth > 32) return (err_ = "nesting is too deep", false);
    if (p_ >= s_.size()) return (err_ = "the line ends where a value was expected", false);
    char c = s_[p_];
    if (c == '"') return String(f.value);
    if (c == '{' || c == '[') {  // nested: skipped
      char close = c == '{' ? '}' : ']';
      ++p_;
      SkipWs();
      if (Eat(close)) return (f.null = true, true);
      while (true) {
        SkipWs();
        JsonField inner;
        if (c == '{') {
          std::string key;
          if (!String(key)) return (err_ = err_.empty() ? "expected a quoted key" : err_, false);
          SkipWs();
          if (!Eat(':')) return (err_ = "expected ':' after a key", false);
          SkipWs();
        }
        if (!Value(inner, depth + 1)) return false;
        SkipWs();
        if (Eat(',')) continue;
        if (Eat(close)) return (f.null = true, true);
        return (err_ = "expected ',' or a closing bracket", false);
      }
    }
    if (Literal("null")) return (f.null = true, true);
    if (Literal("true")) return (f.value = "true", true);
    if (Literal("false")) return (f.value = "false", true);
    size_t start = p_;
    if (p_ < s_.size() && s_[p_] == '-') ++p_;
    while (p_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[p_])) || s_[p_] == '.' ||
                              s_[p_] == 'e' || s_[p_] == 'E' || s_[p_] == '+' || s_[p_] == '-'))
      ++p_;
    if (p_ == start) return (err_ = "an unexpected character", false);
    f.value.assign(s_.substr(start, p_ - start));
    return true;
  }

  std::string_view s_;
  size_t p_ = 0;
  std::string err_;
};

}  // namespace

bool ParseJsonLine(std::string_view line, std::vector<JsonField>& out, std::string& error) {
  return JsonLineParser(line).Parse(out, error);
}

}  // namespace pc::billing::internal
