#include "billing/estimate.h"

#include <algorithm>

namespace pc::billing {

Result<Estimate> ComputeEstimate(YearMonth month, const std::map<int, Decimal>& charge_by_day,
                                 int minor_unit) {
  if (charge_by_day.empty()) return InvalidArgument("no usage to estimate from");
  Estimate e;
  e.days_in_month = month.DaysInMonth();
  e.days_elapsed = charge_by_day.rbegin()->first;
  if (charge_by_day.begin()->first < 1 || e.days_elapsed > e.days_in_month) {
    return InvalidArgument("a usage day is outside " + month.ToString());
  }
  e.days_left = e.days_in_month - e.days_elapsed;
  const int window_start = std::max(1, e.days_elapsed - 6);
  const int window_days = e.days_elapsed - window_start + 1;
  Decimal window;
  for (const auto& [day, charge] : charge_by_day) {
    PC_ASSIGN_OR_RETURN(e.mtd, e.mtd.Add(charge));
    if (day >= window_start) {
      PC_ASSIGN_OR_RETURN(window, window.Add(charge));
    }
  }
  PC_ASSIGN_OR_RETURN(Decimal prorated, e.mtd.Mul(Decimal::FromInt(e.days_in_month)));
  PC_ASSIGN_OR_RETURN(e.eom, prorated.Div(Decimal::FromInt(e.days_elapsed), minor_unit));
  // mtd + window × days_left ÷ window_days, divided last so that it is rounded once.
  PC_ASSIGN_OR_RETURN(Decimal ahead, window.Mul(Decimal::FromInt(e.days_left)));
  PC_ASSIGN_OR_RETURN(Decimal scaled_mtd, e.mtd.Mul(Decimal::FromInt(window_days)));
  PC_ASSIGN_OR_RETURN(Decimal numerator, scaled_mtd.Add(ahead));
  PC_ASSIGN_OR_RETURN(e.forecast, numerator.Div(Decimal::FromInt(window_days), minor_unit));
  return e;
}

}  // namespace pc::billing
