// Byte scanning for the usage readers: the structural characters of CSV text found 64 bytes at
// a time, one bit per byte, with AVX2 where the CPU has it and portable 64-bit word arithmetic
// otherwise (both give identical results; the tests compare them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pc::billing::scan {

// Bit i of each mask describes byte i of a 64-byte block.
struct Masks {
  uint64_t quote = 0;    // '"'
  uint64_t comma = 0;    // ','
  uint64_t newline = 0;  // '\n'
  uint64_t cr = 0;       // '\r'
  uint64_t high = 0;     // bytes >= 0x80 (not ASCII)
};

// Classifies text[0, n): out[k] describes bytes [64k, 64k + 64); bytes past n set no bit.
void Classify(const char* text, size_t n, std::vector<Masks>& out);
// The same with the portable code only (for tests and CPUs without AVX2).
void ClassifyPortable(const char* text, size_t n, std::vector<Masks>& out);

struct Counts {
  size_t quotes = 0;
  size_t newlines = 0;
};
// The quotes and newlines in text[0, n).
Counts CountQuotesAndNewlines(const char* text, size_t n);

// Bit i of the result is the XOR of bits 0..i of x: with x the quotes of a block, the bits
// inside quoted text (the opening quote included, the closing one not).
inline uint64_t PrefixXor(uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

// The number of bits set, without needing the CPU's popcnt instruction (which the portable
// build may not use; the library call it would otherwise make is several times slower).
inline unsigned Popcount(uint64_t x) {
  if (x == 0) return 0;
  x = x - ((x >> 1) & 0x5555555555555555ULL);
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
  return static_cast<unsigned>((x * 0x0101010101010101ULL) >> 56);
}

// Bits [from, to) set, 0 <= from <= to <= 64.
inline uint64_t BitRange(unsigned from, unsigned to) {
  uint64_t below_to = to >= 64 ? ~0ULL : (1ULL << to) - 1;
  uint64_t below_from = from >= 64 ? ~0ULL : (1ULL << from) - 1;
  return below_to & ~below_from;
}

}  // namespace pc::billing::scan
