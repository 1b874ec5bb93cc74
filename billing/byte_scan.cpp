#include "billing/byte_scan.h"

#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace pc::billing::scan {

namespace {

// Bit k set when byte k of `word` equals the byte `pattern` repeats. Exact (no false
// positives): the high bit of each byte of ~(((v & 0x7f..) + 0x7f..) | v | 0x7f..) is set
// exactly when that byte of v is zero.
inline uint64_t EqualBytes(uint64_t word, uint64_t pattern) {
  constexpr uint64_t kLow7 = 0x7f7f7f7f7f7f7f7fULL;
  uint64_t v = word ^ pattern;
  uint64_t zero_high = ~(((v & kLow7) + kLow7) | v | kLow7);
  // Gather the eight high bits into the low byte.
  return ((zero_high >> 7) * 0x0102040810204080ULL) >> 56;
}

inline uint64_t HighBytes(uint64_t word) {
  return (((word & 0x8080808080808080ULL) >> 7) * 0x0102040810204080ULL) >> 56;
}

constexpr uint64_t Spread(char c) { return 0x0101010101010101ULL * static_cast<unsigned char>(c); }

Masks ClassifyBlockPortable(const char* p) {
  Masks m;
  for (int w = 0; w < 8; ++w) {
    uint64_t word;
    std::memcpy(&word, p + 8 * w, 8);
    const int shift = 8 * w;
    m.quote |= EqualBytes(word, Spread('"')) << shift;
    m.comma |= EqualBytes(word, Spread(',')) << shift;
    m.newline |= EqualBytes(word, Spread('\n')) << shift;
    m.cr |= EqualBytes(word, Spread('\r')) << shift;
    m.high |= HighBytes(word) << shift;
  }
  return m;
}

// Classifies with `block` on whole blocks, and on a zero-padded copy of the last partial one.
template <typename Block>
void ClassifyWith(const char* text, size_t n, std::vector<Masks>& out, Block block) {
  out.resize((n + 63) / 64);
  size_t whole = n / 64;
  for (size_t k = 0; k < whole; ++k) out[k] = block(text + 64 * k);
  if (n % 64 != 0) {
    alignas(64) char tail[64] = {};
    std::memcpy(tail, text + 64 * whole, n % 64);
    out[whole] = block(tail);
  }
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) inline uint64_t Match(__m256i a, __m256i b, char c) {
  __m256i v = _mm256_set1_epi8(c);
  uint64_t lo = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, v)));
  uint64_t hi = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, v)));
  return lo | (hi << 32);
}

__attribute__((target("avx2"))) inline Masks ClassifyBlockAvx2(const char* p) {
  __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
  Masks m;
  m.quote = Match(a, b, '"');
  m.comma = Match(a, b, ',');
  m.newline = Match(a, b, '\n');
  m.cr = Match(a, b, '\r');
  m.high = static_cast<uint32_t>(_mm256_movemask_epi8(a)) |
           (static_cast<uint64_t>(static_cast<uint32_t>(_mm256_movemask_epi8(b))) << 32);
  return m;
}

__attribute__((target("avx2"))) void ClassifyAvx2(const char* text, size_t n,
                                                  std::vector<Masks>& out) {
  out.resize((n + 63) / 64);
  size_t whole = n / 64;
  Masks* o = out.data();
  for (size_t k = 0; k < whole; ++k) o[k] = ClassifyBlockAvx2(text + 64 * k);
  if (n % 64 != 0) {
    alignas(64) char tail[64] = {};
    std::memcpy(tail, text + 64 * whole, n % 64);
    o[whole] = ClassifyBlockAvx2(tail);
  }
}

__attribute__((target("avx2,popcnt"))) Counts CountAvx2(const char* text, size_t n) {
  Counts c;
  size_t i = 0;
  const __m256i quote = _mm256_set1_epi8('"'), newline = _mm256_set1_epi8('\n');
  for (; i + 32 <= n; i += 32) {
    __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(text + i));
    c.quotes += static_cast<size_t>(__builtin_popcount(
        static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, quote)))));
    c.newlines += static_cast<size_t>(__builtin_popcount(
        static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, newline)))));
  }
  for (; i < n; ++i) {
    c.quotes += text[i] == '"';
    c.newlines += text[i] == '\n';
  }
  return c;
}

bool HasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
  return has;
}
#endif

Counts CountPortable(const char* text, size_t n) {
  Counts c;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t word;
    std::memcpy(&word, text + i, 8);
    c.quotes += static_cast<size_t>(__builtin_popcountll(EqualBytes(word, Spread('"'))));
    c.newlines += static_cast<size_t>(__builtin_popcountll(EqualBytes(word, Spread('\n'))));
  }
  for (; i < n; ++i) {
    c.quotes += text[i] == '"';
    c.newlines += text[i] == '\n';
  }
  return c;
}

}  // namespace

void ClassifyPortable(const char* text, size_t n, std::vector<Masks>& out) {
  ClassifyWith(text, n, out, ClassifyBlockPortable);
}

void Classify(const char* text, size_t n, std::vector<Masks>& out) {
#if defined(__x86_64__)
  if (HasAvx2()) return ClassifyAvx2(text, n, out);
#endif
  ClassifyPortable(text, n, out);
}

Counts CountQuotesAndNewlines(const char* text, size_t n) {
#if defined(__x86_64__)
  if (HasAvx2()) return CountAvx2(text, n);
#endif
  return CountPortable(text, n);
}

}  // namespace pc::billing::scan
