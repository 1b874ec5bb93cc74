// Decimal: exact fixed-point decimal numbers for money and quantities.
//
// A value is an integer mantissa (128-bit) and a scale (digits after the point, 0..kMaxScale):
// value = mantissa / 10^scale. Every operation is exact or reports an error; nothing is ever
// silently rounded or wrapped. Rounding happens only when asked for (Rescale, RoundHalfUp).
// Values are immutable and thread-safe.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace pc {

// The 128-bit mantissa type. The typedef (same type as __int128) keeps -Wpedantic quiet in code
// that names it; prefer Int128 over spelling __int128.
__extension__ typedef __int128 Int128;

class Decimal {
 public:
  static constexpr int kMaxScale = 30;
  // At most this many significant digits are kept (the mantissa stays below 10^kMaxDigits).
  static constexpr int kMaxDigits = 36;

  Decimal() = default;  // zero, scale 0
  static Decimal FromInt(int64_t v);
  // mantissa / 10^scale; an invalid scale or a mantissa beyond kMaxDigits is an error.
  static Result<Decimal> FromParts(Int128 mantissa, int scale);

  // Parses plain decimal text: optional sign, digits, optional '.' and digits ("-12.3400",
  // "+5", ".5", "7."). Rejects exponents, grouping commas, spaces, "NaN", "Inf", empty text and
  // more than kMaxScale fraction digits or kMaxDigits digits, with a message naming the problem.
  // The scale of the result is the number of fraction digits written ("1.50" has scale 2).
  static Result<Decimal> Parse(std::string_view text);

  // Canonical text: "-" if negative, integer digits, and exactly scale() fraction digits.
  // "-0" never appears: a zero prints without sign.
  std::string ToString() const;

  Int128 mantissa() const { return mantissa_; }
  int scale() const { return scale_; }
  bool IsZero() const { return mantissa_ == 0; }
  bool IsNegative() const { return mantissa_ < 0; }

  // Exact arithmetic. The result scale of Add/Sub is max of the scales, of Mul the sum of the
  // scales. Overflow (or a Mul scale above kMaxScale) is an OutOfRange error.
  Result<Decimal> Add(const Decimal& other) const;
  Result<Decimal> Sub(const Decimal& other) const;
  Result<Decimal> Mul(const Decimal& other) const;
  Decimal Negate() const;

  // Exact change of scale. Increasing the scale can overflow (error); decreasing it rounds
  // half away from zero ("half-up" in accounting: 2.345 -> 2.35, -2.345 -> -2.35).
  Result<Decimal> Rescale(int scale) const;
  // Same as Rescale but never increases the scale: a value with fewer places is unchanged.
  Decimal RoundHalfUp(int places) const;
  // Rounds toward negative infinity to `places` (Microsoft's floor(..., 2)).
  Decimal Floor(int places) const;

  // Exact division, rounded half-up to `scale` places. Division by zero is an error.
  Result<Decimal> Div(const Decimal& divisor, int scale) const;

  // Numeric comparison, independent of scale (1.5 == 1.50).
  std::strong_ordering operator<=>(const Decimal& other) const;
  bool operator==(const Decimal& other) const;

 private:
  Decimal(Int128 m, int s) : mantissa_(m), scale_(s) {}
  Int128 mantissa_ = 0;
  int scale_ = 0;
};

}  // namespace pc
