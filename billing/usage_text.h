// Text helpers the usage readers share (internal to the usage readers; their contract is
// usage_reader.h): ASCII case without a call per byte, and values quoted for messages.
#pragma once

#include <string>
#include <string_view>

namespace pc::billing::internal {

// ASCII case (what the C locale's tolower/toupper do), without a call per byte.
inline void LowerAscii(std::string& s) {
  for (auto& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
}
inline void UpperAscii(std::string& s) {
  for (auto& c : s) c = static_cast<char>(c >= 'a' && c <= 'z' ? c & ~0x20 : c);
}

inline std::string Lower(std::string_view s) {
  std::string out(s);
  LowerAscii(out);
  return out;
}

// The value as it appears in a message: quoted, shortened, control and non-UTF-8 bytes escaped.
std::string Quote(std::string_view v);

}  // namespace pc::billing::internal
