#include "core/random.h"

#include <sodium.h>

#include <mutex>
#include <stdexcept>
#include <vector>

namespace pc {

void InitCrypto() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Without a working CSPRNG nothing secure can be done: stop the process at its boundary.
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialize");
  });
}

std::string RandomToken(size_t bytes) {
  InitCrypto();
  if (bytes == 0) return {};
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(bytes, kVariant), '\0');
  sodium_bin2base64(out.data(), out.size(), raw.data(), raw.size(), kVariant);
  out.resize(out.size() - 1);  // drop the terminating NUL counted by ENCODED_LEN
  sodium_memzero(raw.data(), raw.size());
  return out;
}

uint32_t RandomUniform(uint32_t upper_bound) {
  InitCrypto();
  return randombytes_uniform(upper_bound);
}

std::string Sha256Hex(std::string_view data) {
  InitCrypto();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex, crypto_hash_sha256_BYTES * 2);
}

}  // namespace pc
