#include "core/decimal.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cctype>

namespace pc {
namespace {

__extension__ typedef unsigned __int128 UInt128;

constexpr std::array<Int128, 39> MakePowersOfTen() {
  std::array<Int128, 39> p{};
  p[0] = 1;
  for (size_t i = 1; i < p.size(); ++i) p[i] = p[i - 1] * 10;
  return p;
}
// 10^0 .. 10^38; 10^38 is the largest power of ten below 2^127.
constexpr std::array<Int128, 39> kPow10 = MakePowersOfTen();
constexpr Int128 kMantissaLimit = kPow10[Decimal::kMaxDigits];  // exclusive bound on |mantissa|

bool InRange(Int128 m) { return m < kMantissaLimit && m > -kMantissaLimit; }

// The text as it should appear in an error message: quoted, at most ~40 characters, with
// control characters replaced.
std::string Quote(std::string_view text) {
  constexpr size_t kMax = 40;
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    out += std::iscntrl(c) ? '?' : static_cast<char>(c);
  }
  out += text.size() > kMax ? "...\"" : "\"";
  return out;
}

Error ParseError(std::string_view text, std::string_view problem) {
  return InvalidArgument("invalid decimal number " + Quote(text) + ": " + std::string(problem));
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// m * 10^places, or false on overflow of the 128-bit range. places must be 0..38.
bool ScaleUp(Int128 m, int places, Int128* out) {
  return !__builtin_mul_overflow(m, kPow10[places], out);
}

Error OverflowError(std::string_view op) {
  return OutOfRange("decimal " + std::string(op) + " overflows " +
                    std::to_string(Decimal::kMaxDigits) + " significant digits");
}

// m / 10^places rounded half away from zero. places must be 0..38.
Int128 DivPow10HalfAwayFromZero(Int128 m, int places) {
  const Int128 p = kPow10[places];
  Int128 q = m / p;
  Int128 r = m % p;
  if (r < 0) r = -r;
  if (r >= p - r) q += m < 0 ? -1 : 1;
  return q;
}

std::string UnsignedToString(UInt128 v) {
  if (v == 0) return "0";
  std::string s;
  while (v != 0) {
    s += static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  }
  std::reverse(s.begin(), s.end());
  return s;
}

}  // namespace

Decimal Decimal::FromInt(int64_t v) { return Decimal(v, 0); }

Result<Decimal> Decimal::FromParts(Int128 mantissa, int scale) {
  if (scale < 0 || scale > kMaxScale) {
    return OutOfRange("decimal scale " + std::to_string(scale) + " is outside 0.." +
                      std::to_string(kMaxScale));
  }
  if (!InRange(mantissa)) {
    return OutOfRange("decimal mantissa has more than " + std::to_string(kMaxDigits) + " digits");
  }
  return Decimal(mantissa, scale);
}

Result<Decimal> Decimal::Parse(std::string_view text) {
  if (text.empty()) return ParseError(text, "the text is empty; write a number such as 12.34");
  size_t i = 0;
  bool negative = false;
  if (text[0] == '+' || text[0] == '-') {
    negative = text[0] == '-';
    i = 1;
  }
  const std::string_view body = text.substr(i);
  if (EqualsIgnoreCase(body, "nan") || EqualsIgnoreCase(body, "inf") ||
      EqualsIgnoreCase(body, "infinity")) {
    return ParseError(text, "NaN and infinity are not numbers");
  }

  Int128 mantissa = 0;
  int significant = 0;  // digits of the mantissa, leading zeros excluded
  int fraction = 0;
  int digits = 0;
  bool seen_point = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      ++digits;
      if (seen_point) ++fraction;
      if (fraction > kMaxScale) {
        return ParseError(
            text, "more than " + std::to_string(kMaxScale) + " digits after the decimal point");
      }
      if (mantissa != 0 || c != '0') {
        if (++significant > kMaxDigits) {
          return ParseError(text,
                            "more than " + std::to_string(kMaxDigits) + " significant digits");
        }
        mantissa = mantissa * 10 + (c - '0');  // below 10^36: cannot overflow
      }
    } else if (c == '.') {
      if (seen_point) return ParseError(text, "more than one decimal point");
      seen_point = true;
    } else if (c == 'e' || c == 'E') {
      return ParseError(text, "exponent notation is not accepted; write the number out in full");
    } else if (c == ',') {
      return ParseError(text,
                        "grouping separators (',') are not accepted; write 1234.5, "
                        "not 1,234.5");
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      return ParseError(text, "spaces are not accepted; remove them");
    } else if (c == '+' || c == '-') {
      return ParseError(text, "a sign may appear only once, at the start");
    } else {
      std::string problem = "unexpected character ";
      problem += std::isprint(static_cast<unsigned char>(c)) ? std::string("'") + c + "'"
                                                             : std::string("(a control byte)");
      problem += " at position " + std::to_string(i + 1);
      return ParseError(text, problem);
    }
  }
  if (digits == 0) return ParseError(text, "no digits; write a number such as 12.34");
  return Decimal(negative ? -mantissa : mantissa, fraction);
}

std::string Decimal::ToString() const {
  const UInt128 magnitude =
      mantissa_ < 0 ? static_cast<UInt128>(-mantissa_) : static_cast<UInt128>(mantissa_);
  std::string digits = UnsignedToString(magnitude);
  if (static_cast<int>(digits.size()) <= scale_) {
    digits.insert(0, static_cast<size_t>(scale_) + 1 - digits.size(), '0');
  }
  if (scale_ > 0) digits.insert(digits.size() - static_cast<size_t>(scale_), 1, '.');
  if (mantissa_ < 0) digits.insert(0, 1, '-');
  return digits;
}

Result<Decimal> Decimal::Add(const Decimal& other) const {
  const int scale = std::max(scale_, other.scale_);
  Int128 a = 0;
  Int128 b = 0;
  Int128 sum = 0;
  if (!ScaleUp(mantissa_, scale - scale_, &a) ||
      !ScaleUp(other.mantissa_, scale - other.scale_, &b) || __builtin_add_overflow(a, b, &sum) ||
      !InRange(sum)) {
    return OverflowError("addition");
  }
  return Decimal(sum, scale);
}

Result<Decimal> Decimal::Sub(const Decimal& other) const { return Add(other.Negate()); }

Result<Decimal> Decimal::Mul(const Decimal& other) const {
  const int scale = scale_ + other.scale_;
  if (scale > kMaxScale) {
    return OutOfRange("decimal product needs " + std::to_string(scale) +
                      " digits after the point; at most " + std::to_string(kMaxScale) +
                      " are kept");
  }
  Int128 product = 0;
  if (__builtin_mul_overflow(mantissa_, other.mantissa_, &product) || !InRange(product)) {
    return OverflowError("multiplication");
  }
  return Decimal(product, scale);
}

Decimal Decimal::Negate() const { return Decimal(-mantissa_, scale_); }

Result<Decimal> Decimal::Rescale(int scale) const {
  if (scale < 0 || scale > kMaxScale) {
    return OutOfRange("decimal scale " + std::to_string(scale) + " is outside 0.." +
                      std::to_string(kMaxScale));
  }
  if (scale <= scale_) return Decimal(DivPow10HalfAwayFromZero(mantissa_, scale_ - scale), scale);
  Int128 m = 0;
  if (!ScaleUp(mantissa_, scale - scale_, &m) || !InRange(m)) return OverflowError("rescale");
  return Decimal(m, scale);
}

Decimal Decimal::RoundHalfUp(int places) const {
  assert(places >= 0);
  places = std::max(places, 0);
  if (places >= scale_) return *this;
  return Decimal(DivPow10HalfAwayFromZero(mantissa_, scale_ - places), places);
}

Decimal Decimal::Floor(int places) const {
  assert(places >= 0);
  places = std::max(places, 0);
  if (places >= scale_) return *this;
  const Int128 p = kPow10[scale_ - places];
  Int128 q = mantissa_ / p;
  if (mantissa_ % p < 0) --q;
  return Decimal(q, places);
}

Result<Decimal> Decimal::Div(const Decimal& divisor, int scale) const {
  if (divisor.IsZero()) return InvalidArgument("division by zero");
  if (scale < 0 || scale > kMaxScale) {
    return OutOfRange("decimal scale " + std::to_string(scale) + " is outside 0.." +
                      std::to_string(kMaxScale));
  }
  // result = round(|a| * 10^e / |b|) with e = divisor.scale + scale - this.scale.
  const bool negative = (mantissa_ < 0) != (divisor.mantissa_ < 0);
  const UInt128 a = static_cast<UInt128>(mantissa_ < 0 ? -mantissa_ : mantissa_);
  UInt128 b = static_cast<UInt128>(divisor.mantissa_ < 0 ? -divisor.mantissa_ : divisor.mantissa_);
  const int e = divisor.scale_ + scale - scale_;
  UInt128 q = 0;
  UInt128 r = 0;
  if (e < 0) {
    // Scale the divisor up instead. If that leaves 128 bits, it exceeds 2 * |a|: the result is 0.
    if (__builtin_mul_overflow(b, static_cast<UInt128>(kPow10[-e]), &b)) return Decimal(0, scale);
    q = a / b;
    r = a % b;
  } else {
    // Long division, one decimal digit at a time: r < b < 10^36, so r * 10 never overflows.
    q = a / b;
    r = a % b;
    for (int i = 0; i < e; ++i) {
      r *= 10;
      if (__builtin_mul_overflow(q, static_cast<UInt128>(10), &q) ||
          __builtin_add_overflow(q, r / b, &q)) {
        return OverflowError("division");
      }
      r %= b;
      if (q >= static_cast<UInt128>(kMantissaLimit)) return OverflowError("division");
    }
  }
  if (r >= b - r) ++q;
  if (q >= static_cast<UInt128>(kMantissaLimit)) return OverflowError("division");
  const Int128 m = static_cast<Int128>(q);
  return Decimal(negative ? -m : m, scale);
}

std::strong_ordering Decimal::operator<=>(const Decimal& other) const {
  if (scale_ == other.scale_) return mantissa_ <=> other.mantissa_;
  // Bring the value with fewer places to the other's scale. If that overflows 128 bits, its
  // magnitude exceeds any valid mantissa, so its sign decides.
  const bool this_is_coarser = scale_ < other.scale_;
  const Decimal& coarse = this_is_coarser ? *this : other;
  const Decimal& fine = this_is_coarser ? other : *this;
  Int128 scaled = 0;
  std::strong_ordering coarse_vs_fine = std::strong_ordering::equal;
  if (ScaleUp(coarse.mantissa_, fine.scale_ - coarse.scale_, &scaled)) {
    coarse_vs_fine = scaled <=> fine.mantissa_;
  } else {
    coarse_vs_fine =
        coarse.mantissa_ < 0 ? std::strong_ordering::less : std::strong_ordering::greater;
  }
  return this_is_coarser ? coarse_vs_fine : 0 <=> coarse_vs_fine;
}

bool Decimal::operator==(const Decimal& other) const { return (*this <=> other) == 0; }

}  // namespace pc
