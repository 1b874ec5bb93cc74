// Password hashing with argon2id (libsodium crypto_pwhash_str). Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace pc::identity {

// An encoded argon2id hash (includes salt and parameters). Throws std::bad_alloc-like
// std::runtime_error only if the machine is out of memory.
std::string HashPassword(std::string_view password);
// True if `password` matches `encoded_hash`. Runs in constant time for a given hash.
bool VerifyPassword(std::string_view password, std::string_view encoded_hash);

}  // namespace pc::identity
