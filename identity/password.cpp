#include "identity/password.h"

#include <sodium.h>

#include <stdexcept>

namespace pc::identity {

std::string HashPassword(std::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    throw std::runtime_error("argon2id hashing failed: out of memory");
  }
  return out;
}

bool VerifyPassword(std::string_view password, std::string_view encoded_hash) {
  std::string hash(encoded_hash);  // crypto_pwhash_str_verify wants a NUL-terminated string
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

}  // namespace pc::identity
