#include "billing/precision.h"

#include <boost/multiprecision/cpp_int.hpp>

namespace pc::billing {

namespace {

using Wide = boost::multiprecision::int256_t;
__extension__ typedef unsigned __int128 UInt128;

Wide ToWide(Int128 v) {
  bool negative = v < 0;
  UInt128 m = negative ? static_cast<UInt128>(-(v + 1)) + 1 : static_cast<UInt128>(v);
  Wide w = static_cast<uint64_t>(m >> 64);
  w <<= 64;
  w += static_cast<uint64_t>(m);
  return negative ? Wide(-w) : w;
}

}  // namespace

Result<Decimal> MulRounded(const Decimal& a, const Decimal& b, int places) {
  int scale = a.scale() + b.scale();
  if (scale <= places && scale <= Decimal::kMaxScale) {
    if (auto exact = a.Mul(b); exact.ok()) return exact;
  }
  Wide product = ToWide(a.mantissa()) * ToWide(b.mantissa());
  if (scale > places) {
    Wide divisor = 1;
    for (int i = 0; i < scale - places; ++i) divisor *= 10;
    bool negative = product < 0;
    Wide magnitude = negative ? Wide(-product) : product;
    Wide q = magnitude / divisor, r = magnitude % divisor;
    if (r * 2 >= divisor) ++q;  // half away from zero
    product = negative ? Wide(-q) : q;
    scale = places;
  }
  static const Wide kLimit = [] {
    Wide v = 1;
    for (int i = 0; i < Decimal::kMaxDigits; ++i) v *= 10;
    return v;
  }();
  if (product >= kLimit || product <= -kLimit) {
    return OutOfRange("a charge needs more than " + std::to_string(Decimal::kMaxDigits) +
                      " digits even rounded to " + std::to_string(places) + " decimal places");
  }
  bool negative = product < 0;
  Wide magnitude = negative ? Wide(-product) : product;
  UInt128 m = static_cast<uint64_t>(magnitude >> 64);
  m = (m << 64) | static_cast<uint64_t>(magnitude & Wide(UINT64_MAX));
  Int128 mantissa = static_cast<Int128>(m);
  return Decimal::FromParts(negative ? -mantissa : mantissa, scale);
}

}  // namespace pc::billing
