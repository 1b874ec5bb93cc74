// Password hashing with argon2id (libsodium crypto_pwhash_str). Thread-safe.
#pragma once

#include <atomic>
#include <string>
#include <string_view>

#include "core/result.h"

namespace pc::identity {

// An encoded argon2id hash (includes salt and parameters). Throws std::runtime_error only if
// the machine is out of memory. Unbounded: request paths use PasswordHasher.
std::string HashPassword(std::string_view password);
// True if `password` matches `encoded_hash`. Runs in constant time for a given hash.
bool VerifyPassword(std::string_view password, std::string_view encoded_hash);

// Hashing with a bound on how many argon2id computations run at once. Each takes about 64 MiB
// and a core for a tenth of a second, so an unbounded number of concurrent logins would take
// the machine's memory and every request thread. Beyond the bound, Hash and Verify fail at once
// with Unavailable (retry_after set to a second) instead of queueing: the caller answers 503
// with Retry-After and its thread is free for other requests. Thread-safe.
class PasswordHasher {
 public:
  explicit PasswordHasher(int max_concurrent);

  [[nodiscard]] Result<std::string> Hash(std::string_view password);
  [[nodiscard]] Result<bool> Verify(std::string_view password, std::string_view encoded_hash);

 private:
  bool Acquire();
  void Release();

  const int max_concurrent_;
  std::atomic<int> running_{0};
};

}  // namespace pc::identity
