// Rounding that adds up: amounts shown per part (per day, per meter category, per Azure
// subscription, per detail row) are rounded so that they sum exactly to the rounded total.
//
// The one allocation used everywhere (API, detail.csv, invoice): largest remainder. The total
// is the exact sum rounded once, half-up, to the minor unit (what the invoice line bills). Each
// part is first rounded down (toward negative infinity) to the minor unit; the minor units still
// missing to reach the rounded total (never more than the parts with a remainder) go one each to
// the parts with the largest remainders, ties to the earlier part in the order given.
// Thread-safe (pure functions).
#pragma once

#include <vector>

#include "core/decimal.h"
#include "core/result.h"

namespace pc::billing {

// `parts` rounded to `minor_unit` places so that they sum exactly to the sum of `parts` rounded
// half-up to `minor_unit` places. OutOfRange when a sum overflows.
Result<std::vector<Decimal>> AllocateRounding(const std::vector<Decimal>& parts, int minor_unit);

}  // namespace pc::billing
