// UUIDs (RFC 9562): random v4 and time-ordered v7, used as primary keys and public ids.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace pc {

class Uuid {
 public:
  Uuid() = default;  // the nil UUID
  // Random (libsodium's CSPRNG). Thread-safe.
  static Uuid V4();
  // Unix-millisecond timestamp first, then random bits: ids sort by creation time. Thread-safe.
  static Uuid V7();
  // Accepts the 36-character hyphenated form in either case; anything else is an error.
  static Result<Uuid> Parse(std::string_view text);

  std::string ToString() const;  // lower-case hyphenated form
  bool IsNil() const;
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  auto operator<=>(const Uuid&) const = default;

 private:
  std::array<uint8_t, 16> bytes_{};
};

}  // namespace pc
