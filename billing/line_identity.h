// Usage line identity: the 64-bit hash that tells whether a usage line was counted before
// (UsageRow::line_key, stored per (subscription, day) in usage_partitions).
//
// The hash runs on every byte of every row, so it is a multiply-mix over 16-byte blocks
// (wyhash-style) rather than a cryptographic hash. Such a mix is only safe with constants the
// customers cannot know: with public constants, a customer who predicts a line (its quantity
// and price) can write resource tags that cancel the hash state, so that two different lines
// of one subscription and day hash alike and one of them is never billed. So each installation
// has its own random key (billing_keys.usage_line_identity, created on the first import); no
// hash is ever shown outside the database, so there is nothing to test guesses against.
//
// The value of a line must never change for a given key: it is compared with stored hashes.
// The key "legacy" is the public constants every installation used before keys existed; an
// installation that had counted lines by then keeps it (migration 0022).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/result.h"

namespace pc::billing {

struct LineIdentityKey {
  uint64_t seed, k1, k2, k3;

  // The public constants ("legacy").
  static LineIdentityKey Public() {
    return {0xa0761d6478bd642fULL, 0xe7037ed1a0b428dbULL, 0x8ebc6af09c88c6e3ULL,
            0x589965cc75374cc3ULL};
  }
  // The key of a stored value: "legacy", or a random token (NewStoredValue) whose SHA-256
  // gives the four constants.
  static Result<LineIdentityKey> FromStored(std::string_view stored);
  // A fresh random value to store (32 random bytes, base64).
  static std::string NewStoredValue();
};

namespace line_identity {

__extension__ typedef unsigned __int128 Wide;

inline uint64_t Mum(uint64_t a, uint64_t b) {
  Wide r = static_cast<Wide>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

// The n <= 8 bytes at p as a little-endian number, zero-padded: two overlapping loads rather
// than a loop (the bytes both loads cover are the same, so OR-ing them is exact).
inline uint64_t Load(const char* p, size_t n) {
  auto byte = [p](size_t i) { return static_cast<uint64_t>(static_cast<unsigned char>(p[i])); };
  if (n >= 4) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    return static_cast<uint64_t>(lo) | static_cast<uint64_t>(hi) << (8 * (n - 4));
  }
  if (n == 0) return 0;
  return byte(0) | byte(n / 2) << (8 * (n / 2)) | byte(n - 1) << (8 * (n - 1));
}

// The eight bytes with ASCII upper-case letters made lower case (other bytes unchanged).
inline uint64_t FoldCase(uint64_t x) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  uint64_t low7 = x & (0x7f * kOnes);
  uint64_t at_least_a = low7 + (0x80 - 'A') * kOnes;   // bit 7 set where low7 >= 'A'
  uint64_t above_z = low7 + (0x80 - 'Z' - 1) * kOnes;  // bit 7 set where low7 > 'Z'
  uint64_t upper = at_least_a & ~above_z & ~x & (0x80 * kOnes);
  return x | (upper >> 2);  // 0x80 >> 2 = 0x20
}

// With kFold, hashes the text as if it were in lower case (same value as hashing a lower-case
// copy).
template <bool kFold>
inline uint64_t HashBytesT(const LineIdentityKey& key, uint64_t h, std::string_view s) {
  auto fold = [](uint64_t w) { return kFold ? FoldCase(w) : w; };
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 16) {
    uint64_t a, b;
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + 8, 8);
    h = Mum(fold(a) ^ key.k1 ^ h, fold(b) ^ key.k2);
    p += 16;
    n -= 16;
  }
  uint64_t a = n > 8 ? Load(p, 8) : Load(p, n);
  uint64_t b = n > 8 ? Load(p + 8, n - 8) : 0;
  return Mum(fold(a) ^ key.k1 ^ h, fold(b) ^ key.k3 ^ s.size());
}

inline uint64_t HashBytes(const LineIdentityKey& key, uint64_t h, std::string_view s) {
  return HashBytesT<false>(key, h, s);
}

}  // namespace line_identity

// The hash of one line: a format tag, then every identifying value in a fixed column order
// (absent values hash differently from empty ones), then the number of values.
class LineHash {
 public:
  LineHash(const LineIdentityKey& key, std::string_view tag)
      : key_(key), h_(line_identity::HashBytes(key, key.seed, tag)) {}
  void Add(std::string_view value) { h_ = line_identity::HashBytes(key_, h_, value); }
  // Adds the value as if it were in lower case (ASCII).
  void AddCaseless(std::string_view value) {
    h_ = line_identity::HashBytesT<true>(key_, h_, value);
  }
  void AddAbsent() { h_ = line_identity::Mum(h_ ^ key_.k2, key_.seed ^ 0x1e); }
  uint64_t Finish(size_t values) const {
    return line_identity::Mum(h_ ^ key_.k3, key_.k1 ^ values);
  }
  // The state after the values added so far (to show, in tests, what a known key allows).
  uint64_t state() const { return h_; }

 private:
  LineIdentityKey key_;
  uint64_t h_;
};

}  // namespace pc::billing
