// Month-to-date and end-of-month estimates from daily charges: pure arithmetic on exact
// decimals, no database and no clock.
//
//   mtd        = sum of the month's charges so far (exact)
//   eom        = mtd × days in month ÷ days elapsed (the seed's proration), where days elapsed
//                counts from the 1st through the day of the latest usage, inclusive
//   forecast   = mtd + (trailing 7-day daily average) × days left, the trailing window being the
//                latest usage day and the 6 days before it, clipped to the month
// Each figure is rounded once, half-up, to the currency's minor unit when presented.
#pragma once

#include <map>

#include "core/decimal.h"
#include "core/result.h"
#include "core/time.h"

namespace pc::billing {

struct Estimate {
  Decimal mtd;       // exact
  Decimal eom;       // rounded to minor_unit places
  Decimal forecast;  // rounded to minor_unit places
  int days_in_month = 0;
  int days_elapsed = 0;  // day of month of the latest usage
  int days_left = 0;     // days_in_month - days_elapsed
};

// `charge_by_day`: day of month (1..31) → that day's charge; it must not be empty (the caller
// answers NoUsageYet first). Errors: InvalidArgument for a day outside the month, OutOfRange on
// overflow.
Result<Estimate> ComputeEstimate(YearMonth month, const std::map<int, Decimal>& charge_by_day,
                                 int minor_unit);

}  // namespace pc::billing
