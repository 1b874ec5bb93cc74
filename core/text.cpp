#include "core/text.h"

#include <cstdint>
#include <cstdio>

namespace pc {

namespace {

// Decodes the code point at text[i], advancing i; returns false for invalid UTF-8.
bool NextCodePoint(std::string_view text, size_t& i, uint32_t& cp) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char b0 = byte(i);
  size_t len = 0;
  uint32_t min = 0;
  if (b0 < 0x80) {
    cp = b0;
    ++i;
    return true;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return false;
  }
  if (i + len > text.size()) return false;
  for (size_t k = 1; k < len; ++k) {
    unsigned char b = byte(i + k);
    if ((b & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  i += len;
  return true;
}

bool IsBidiFormatting(uint32_t cp) {
  return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

std::string CodePointName(uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

Status CheckText(std::string_view field, std::string_view text, size_t max_chars,
                 bool multiline) {
  std::string name = "Field '" + std::string(field) + "'";
  size_t i = 0;
  size_t chars = 0;
  while (i < text.size()) {
    uint32_t cp = 0;
    if (!NextCodePoint(text, i, cp)) {
      return InvalidArgument(name + " is not valid UTF-8 text (at byte " + std::to_string(i + 1) +
                             ")");
    }
    ++chars;
    if (chars > max_chars) {
      return InvalidArgument(name + " must have at most " + std::to_string(max_chars) +
                             " characters");
    }
    bool allowed_space = multiline && (cp == '\t' || cp == '\n' || cp == '\r');
    if ((cp < 0x20 && !allowed_space) || (cp >= 0x7F && cp <= 0x9F)) {
      return InvalidArgument(name + " must not contain control characters (" + CodePointName(cp) +
                             " at character " + std::to_string(chars) + ")" +
                             (multiline ? "" : "; it is a single line of text"));
    }
    if (IsBidiFormatting(cp)) {
      return InvalidArgument(name + " must not contain bidirectional formatting characters (" +
                             CodePointName(cp) + " at character " + std::to_string(chars) +
                             "): they can make text display as something it is not");
    }
  }
  return {};
}

}  // namespace

size_t Utf8Length(std::string_view text) {
  size_t i = 0;
  size_t n = 0;
  uint32_t cp = 0;
  while (i < text.size()) {
    if (!NextCodePoint(text, i, cp)) return std::string_view::npos;
    ++n;
  }
  return n;
}

Status CheckLineText(std::string_view field, std::string_view text, size_t max_chars) {
  return CheckText(field, text, max_chars, false);
}

Status CheckMultilineText(std::string_view field, std::string_view text, size_t max_chars) {
  return CheckText(field, text, max_chars, true);
}

}  // namespace pc
