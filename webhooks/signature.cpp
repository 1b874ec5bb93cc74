#include "webhooks/signature.h"

#include <sodium.h>

#include <vector>

namespace pc::webhooks {

namespace {

constexpr std::string_view kPrefix = "whsec_";

std::string Base64(const unsigned char* data, size_t n) {
  std::string out(sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), data, n, sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

}  // namespace

std::string NewSecret() {
  unsigned char key[32];
  randombytes_buf(key, sizeof key);
  std::string secret = std::string(kPrefix) + Base64(key, sizeof key);
  sodium_memzero(key, sizeof key);
  return secret;
}

Result<std::string> Sign(std::string_view secret, std::string_view message_id, int64_t unix_seconds,
                         std::string_view body) {
  if (!secret.starts_with(kPrefix)) return InvalidArgument("A webhook secret starts with whsec_");
  std::string_view encoded = secret.substr(kPrefix.size());
  std::vector<unsigned char> key(encoded.size());
  size_t key_len = 0;
  if (encoded.empty() ||
      sodium_base642bin(key.data(), key.size(), encoded.data(), encoded.size(), nullptr, &key_len,
                        nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return InvalidArgument("A webhook secret is whsec_ followed by base64");
  }
  std::string content =
      std::string(message_id) + "." + std::to_string(unix_seconds) + "." + std::string(body);
  crypto_auth_hmacsha256_state state;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_init(&state, key.data(), key_len);
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(content.data()),
                                content.size());
  crypto_auth_hmacsha256_final(&state, mac);
  sodium_memzero(key.data(), key.size());
  return "v1," + Base64(mac, sizeof mac);
}

}  // namespace pc::webhooks
