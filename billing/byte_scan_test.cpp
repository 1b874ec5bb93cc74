#include "billing/byte_scan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

namespace pc::billing::scan {
namespace {

// The masks as a loop over the bytes computes them.
std::vector<Masks> Naive(const std::string& text) {
  std::vector<Masks> out((text.size() + 63) / 64);
  for (size_t i = 0; i < text.size(); ++i) {
    Masks& m = out[i / 64];
    uint64_t bit = 1ULL << (i % 64);
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"') m.quote |= bit;
    if (c == ',') m.comma |= bit;
    if (c == '\n') m.newline |= bit;
    if (c == '\r') m.cr |= bit;
    if (c >= 0x80) m.high |= bit;
  }
  return out;
}

void ExpectSame(const std::vector<Masks>& a, const std::vector<Masks>& b, size_t size) {
  ASSERT_EQ(a.size(), b.size()) << size;
  for (size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(a[k].quote, b[k].quote) << size << " block " << k;
    EXPECT_EQ(a[k].comma, b[k].comma) << size << " block " << k;
    EXPECT_EQ(a[k].newline, b[k].newline) << size << " block " << k;
    EXPECT_EQ(a[k].cr, b[k].cr) << size << " block " << k;
    EXPECT_EQ(a[k].high, b[k].high) << size << " block " << k;
  }
}

TEST(ByteScanTest, SimdPortableAndNaiveAgreeOnEveryLengthAndByte) {
  std::mt19937 rng(7);
  const char alphabet[] = {'"', ',', '\n', '\r', 'a', '0', '\x80', '\xff', '\x7f', '\x01', '\0'};
  for (size_t size = 0; size < 300; ++size) {
    std::string text(size, 'x');
    for (auto& c : text) {
      c = rng() % 3 == 0 ? static_cast<char>(rng() % 256) : alphabet[rng() % sizeof alphabet];
    }
    std::vector<Masks> fast, portable;
    Classify(text.data(), text.size(), fast);
    ClassifyPortable(text.data(), text.size(), portable);
    auto naive = Naive(text);
    ExpectSame(fast, naive, size);
    ExpectSame(portable, naive, size);
    Counts counts = CountQuotesAndNewlines(text.data(), text.size());
    EXPECT_EQ(counts.quotes, static_cast<size_t>(std::count(text.begin(), text.end(), '"')));
    EXPECT_EQ(counts.newlines, static_cast<size_t>(std::count(text.begin(), text.end(), '\n')));
  }
}

TEST(ByteScanTest, PrefixXorMarksQuotedText) {
  // a"b,c"d → quotes at 1 and 5: bits 1..4 are inside.
  EXPECT_EQ(PrefixXor((1ULL << 1) | (1ULL << 5)), 0b11110ULL);
  EXPECT_EQ(PrefixXor(1ULL << 63), 1ULL << 63);
  EXPECT_EQ(PrefixXor(1), ~0ULL);
  EXPECT_EQ(BitRange(0, 64), ~0ULL);
  EXPECT_EQ(BitRange(3, 5), 0b11000ULL);
  EXPECT_EQ(BitRange(64, 64), 0ULL);
  EXPECT_EQ(Popcount(0), 0u);
  EXPECT_EQ(Popcount(~0ULL), 64u);
  EXPECT_EQ(Popcount(0x8000000000000001ULL), 2u);
}

}  // namespace
}  // namespace pc::billing::scan
