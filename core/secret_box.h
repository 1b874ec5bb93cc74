// SecretBox: encryption at rest for upstream secrets and the one-time tenant admin password
// (libsodium secretbox: XSalsa20-Poly1305). The 32-byte key comes from the environment
// (PARTNERCLOUD_SECRET_KEY, base64) or a key file created with mode 0600 on first start.
// Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace pc {

class SecretBox {
 public:
  // Uses PARTNERCLOUD_SECRET_KEY if set, else reads `key_file`, creating it (0600) if missing.
  static Result<SecretBox> Load(const std::string& key_file);
  // A box with a fresh random key (tests).
  static SecretBox Random();

  // "sb1:" + base64(nonce | ciphertext).
  std::string Seal(std::string_view plaintext) const;
  // Errors: InvalidArgument for text that is not a sealed value or fails authentication.
  Result<std::string> Open(std::string_view sealed) const;

 private:
  std::string key_;  // 32 bytes
};

}  // namespace pc
