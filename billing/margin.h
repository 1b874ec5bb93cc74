// Partner margin (issue 17 item 7): per billing alias and month, what Microsoft bills the
// partner for the alias's usage (BillingPreTaxTotal / FOCUS BilledCost: after partner-earned
// credit and Azure credits) beside what the customer is charged (the month-to-date of
// LoadPricedRollups, after pricing rules), and the difference. Operators only.
// Thread-safe (no state of its own).
#pragma once

#include <string>
#include <vector>

#include "core/decimal.h"
#include "core/json.h"
#include "core/result.h"
#include "core/time.h"
#include "identity/identity.h"
#include "store/store.h"

namespace pc::billing {

struct MarginLine {
  std::string billing_alias;
  std::string month;  // YYYY-MM
  std::string currency;
  int minor_unit = 2;
  Decimal partner_cost, customer_price;  // exact
  // Rounded once, half-up, to the minor unit; margin = price - cost of the rounded amounts, so
  // the three figures shown always add up. customer_price is what the close invoices.
  Decimal partner_cost_rounded, customer_price_rounded, margin_rounded;
};

// Every alias with usage in `month`, one line per alias and currency, ordered by alias.
// PermissionDenied for anyone but operators (and the system).
Result<std::vector<MarginLine>> MonthMargins(store::Database& db, const identity::Principal& who,
                                             YearMonth month);

json::object ToJson(const MarginLine& line);
// The lines as CSV (csv_writer.h): BillingAlias, Month, Currency, PartnerCost, CustomerPrice,
// Margin (rounded), then the exact PartnerCostExact, CustomerPriceExact.
std::string MarginCsv(const std::vector<MarginLine>& lines);

}  // namespace pc::billing
