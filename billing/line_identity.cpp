#include "billing/line_identity.h"

#include "core/random.h"

namespace pc::billing {

Result<LineIdentityKey> LineIdentityKey::FromStored(std::string_view stored) {
  if (stored == "legacy") return Public();
  if (stored.size() < 32) {
    return Internal("billing_keys.usage_line_identity is malformed (too short to be a key)");
  }
  std::string hex = Sha256Hex(stored);
  auto word = [&hex](int i) {
    return std::stoull(hex.substr(static_cast<size_t>(i) * 16, 16), nullptr, 16);
  };
  return LineIdentityKey{word(0), word(1), word(2), word(3)};
}

std::string LineIdentityKey::NewStoredValue() { return RandomToken(32); }

}  // namespace pc::billing
