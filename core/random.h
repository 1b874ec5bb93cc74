// Cryptographically secure random values (libsodium). Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pc {

// Must be called once before any other function here (sodium_init); safe to call again.
void InitCrypto();
// `bytes` random bytes as URL-safe base64 without padding.
std::string RandomToken(size_t bytes = 32);
// Uniform in [0, upper_bound).
uint32_t RandomUniform(uint32_t upper_bound);
// SHA-256 of `data`, lower-case hex (for storing token digests).
std::string Sha256Hex(std::string_view data);

}  // namespace pc
