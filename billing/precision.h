// Where billing rescales (issue 17 item 6): the points at which an exact product is rounded so
// that sums of any real usage, and a pricing rule on them, stay within the 36-digit Decimal
// (core/decimal.h) and a month close never fails on arithmetic.
//
//   1. A usage line's charge (UnitPrice × Quantity, each with at most 20 decimal places, so up to
//      40) is kept exact up to kChargeScale places and rounded half-up to kChargeScale beyond.
//      Rollups sum these exactly (scale <= 20: room for sums up to 10^16).
//   2. A pricing rule's charge × (100 + percent) / 100 is computed exactly (in 256 bits) and
//      rounded half-up to kChargeScale places when it has more.
//   3. Amounts shown or invoiced are rounded once to the currency's minor unit (allocation.h).
// A rounding at 10^-20 moves a cent only when a sum falls within 10^-20 × lines of a half cent.
// Thread-safe (pure functions).
#pragma once

#include "core/decimal.h"
#include "core/result.h"

namespace pc::billing {

inline constexpr int kChargeScale = 20;

// a × b, exact when it has at most `places` decimal places, else rounded half-up (away from
// zero) to `places`. OutOfRange only when the rounded product needs more than 36 digits.
Result<Decimal> MulRounded(const Decimal& a, const Decimal& b, int places = kChargeScale);

}  // namespace pc::billing
