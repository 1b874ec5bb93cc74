#include "core/uuid.h"

#include <sodium.h>

#include <chrono>

#include "core/random.h"

namespace pc {
namespace {

// Sets the version nibble (byte 6) and the RFC 9562 variant bits 10xx (byte 8).
void SetVersion(std::array<uint8_t, 16>& b, uint8_t version) {
  b[6] = static_cast<uint8_t>((b[6] & 0x0F) | (version << 4));
  b[8] = static_cast<uint8_t>((b[8] & 0x3F) | 0x80);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsHyphenPosition(size_t i) { return i == 8 || i == 13 || i == 18 || i == 23; }

}  // namespace

Uuid Uuid::V4() {
  InitCrypto();
  Uuid u;
  randombytes_buf(u.bytes_.data(), u.bytes_.size());
  SetVersion(u.bytes_, 4);
  return u;
}

Uuid Uuid::V7() {
  InitCrypto();
  Uuid u;
  randombytes_buf(u.bytes_.data(), u.bytes_.size());
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  const uint64_t unix_ms = static_cast<uint64_t>(ms);
  for (int i = 0; i < 6; ++i) u.bytes_[i] = static_cast<uint8_t>(unix_ms >> (8 * (5 - i)));
  SetVersion(u.bytes_, 7);
  return u;
}

Result<Uuid> Uuid::Parse(std::string_view text) {
  auto fail = [&](std::string_view problem) {
    std::string shown(text.substr(0, 40));
    if (text.size() > shown.size()) shown += "...";
    for (char& c : shown) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
    }
    return InvalidArgument("invalid UUID \"" + shown + "\": " + std::string(problem) +
                           "; expected the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx");
  };
  if (text.size() != 36) {
    return Result<Uuid>(fail("it has " + std::to_string(text.size()) + " characters, not 36"));
  }
  Uuid u;
  size_t out = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (IsHyphenPosition(i)) {
      if (text[i] != '-') return Result<Uuid>(fail("a hyphen is missing"));
      continue;
    }
    const int hi = HexValue(text[i]);
    const int lo = HexValue(text[i + 1]);
    if (hi < 0 || lo < 0) return Result<Uuid>(fail("it contains a character that is not hex"));
    u.bytes_[out++] = static_cast<uint8_t>(hi << 4 | lo);
    ++i;
  }
  return u;
}

std::string Uuid::ToString() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (size_t i = 0; i < bytes_.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += kHex[bytes_[i] >> 4];
    s += kHex[bytes_[i] & 0x0F];
  }
  return s;
}

bool Uuid::IsNil() const {
  for (uint8_t b : bytes_) {
    if (b != 0) return false;
  }
  return true;
}

}  // namespace pc
