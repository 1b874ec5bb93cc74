#include "billing/allocation.h"

#include <algorithm>
#include <numeric>

namespace pc::billing {

Result<std::vector<Decimal>> AllocateRounding(const std::vector<Decimal>& parts, int minor_unit) {
  Decimal total;
  for (const auto& p : parts) {
    PC_ASSIGN_OR_RETURN(total, total.Add(p));
  }
  PC_ASSIGN_OR_RETURN(Decimal target, total.Rescale(std::max(total.scale(), minor_unit)));
  target = target.RoundHalfUp(minor_unit);
  std::vector<Decimal> out;
  std::vector<Decimal> remainders;
  out.reserve(parts.size());
  remainders.reserve(parts.size());
  Decimal floors;
  for (const auto& p : parts) {
    PC_ASSIGN_OR_RETURN(Decimal wide, p.Rescale(std::max(p.scale(), minor_unit)));
    Decimal down = wide.Floor(minor_unit);
    PC_ASSIGN_OR_RETURN(Decimal remainder, wide.Sub(down));
    PC_ASSIGN_OR_RETURN(floors, floors.Add(down));
    out.push_back(down);
    remainders.push_back(remainder);
  }
  PC_ASSIGN_OR_RETURN(Decimal missing, target.Sub(floors));
  PC_ASSIGN_OR_RETURN(Decimal unit, Decimal::FromParts(1, minor_unit));
  PC_ASSIGN_OR_RETURN(Decimal steps, missing.Rescale(minor_unit));
  const Int128 count = steps.mantissa();  // 0 <= count <= parts with a remainder
  std::vector<size_t> order(parts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return remainders[a] > remainders[b]; });
  for (Int128 i = 0; i < count && i < static_cast<Int128>(order.size()); ++i) {
    PC_ASSIGN_OR_RETURN(out[order[static_cast<size_t>(i)]],
                        out[order[static_cast<size_t>(i)]].Add(unit));
  }
  return out;
}

}  // namespace pc::billing
