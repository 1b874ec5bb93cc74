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

namespace {

Error Busy() {
  Error e(ErrorCode::kUnavailable,
          "The server is checking as many passwords as it can at once; try again in a second");
  e.retry_after = std::chrono::seconds(1);
  return e;
}

}  // namespace

PasswordHasher::PasswordHasher(int max_concurrent) : max_concurrent_(std::max(1, max_concurrent)) {}

bool PasswordHasher::Acquire() {
  int now = running_.load();
  while (now < max_concurrent_) {
    if (running_.compare_exchange_weak(now, now + 1)) return true;
  }
  return false;
}

void PasswordHasher::Release() { running_.fetch_sub(1); }

Result<std::string> PasswordHasher::Hash(std::string_view password) {
  if (!Acquire()) return Busy();
  struct Slot {
    PasswordHasher* h;
    ~Slot() { h->Release(); }
  } slot{this};
  return HashPassword(password);
}

Result<bool> PasswordHasher::Verify(std::string_view password, std::string_view encoded_hash) {
  if (!Acquire()) return Busy();
  struct Slot {
    PasswordHasher* h;
    ~Slot() { h->Release(); }
  } slot{this};
  return VerifyPassword(password, encoded_hash);
}

}  // namespace pc::identity
