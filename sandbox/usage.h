// Deterministic daily rated usage: the same seed, subscription and day always give the same
// line items. Money and quantities are exact decimals (pc::Decimal), never floating point.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "core/decimal.h"
#include "core/json.h"
#include "core/time.h"

namespace pc::sandbox {

struct UsageSubscription {
  std::string customer_id, customer_name, customer_domain, customer_country;
  std::string plan_subscription_id;   // Partner Center subscription (the Azure plan)
  std::string azure_subscription_id;  // EntitlementId
  Timestamp created;                  // usage starts on this day (midnight UTC)
};

struct UsageLine {
  const UsageSubscription* subscription = nullptr;
  Timestamp usage_date;  // midnight UTC
  std::string meter_id, meter_name, meter_category, meter_subcategory, meter_region, unit;
  std::string consumed_service, resource_group, resource_uri, resource_location;
  std::string charge_type;  // "new" (usage) or "credit"
  std::string tags;         // JSON text, may contain commas and quotes
  std::string additional_info;
  Decimal unit_price, effective_unit_price, quantity, exchange_rate, billing_pre_tax_total;
  // Prices are in USD (the pricing currency); a customer in GB is billed in GBP at
  // kUsdToGbpRate (PCToBCExchangeRate), any other in USD at 1.
  std::string billing_currency = "USD";
  Decimal pricing_pre_tax_total;  // floor(EffectiveUnitPrice × Quantity, 2), USD
  int partner_earned_credit_percentage = 0;
  int credit_percentage = 0;
};

// The sandbox's USD to GBP rate (PCToBCExchangeRate of GB customers' usage; about the rate of
// late 2026).
inline constexpr std::string_view kUsdToGbpRate = "0.7913";

// The lines of one subscription for one day (midnight UTC). 2 to 6 lines; now and then one
// credit line with a negative effective price. BillingPreTaxTotal = floor(EffectiveUnitPrice ×
// Quantity × PCToBCExchangeRate, 2).
std::vector<UsageLine> DailyUsage(uint64_t seed, const UsageSubscription& sub, Timestamp day);

// The sandbox rates usage in windows, from the moment a subscription exists: 15 seconds, then
// each window twice as long as the one before, up to 6 hours; a window never spans a 6-hour slot
// boundary (00, 06, 12, 18 UTC), so from then on the windows are those slots. Each window's lines
// are final once rated (they never change later: a restated line would count twice), so a day
// has several lines per resource, one per window, with the window in AdditionalInfo.
struct RatingWindow {
  Timestamp start, end;
};
// The windows of a subscription created at `created` that end after `from` and no later than
// `until`, oldest first.
std::vector<RatingWindow> RatingWindows(Timestamp created, Timestamp from, Timestamp until);
// The lines of one window: DailyUsage's meters and resources, quantities for the window.
std::vector<UsageLine> WindowUsage(uint64_t seed, const UsageSubscription& sub,
                                   const RatingWindow& window);

// Every line of `subs` in `month` rated by `until` (the windows that ended by then: pass the
// sandbox clock minus Partner Center's lag); subscription by subscription, window by window.
// The v1 line items and the Graph billing export both serve exactly these rows.
std::vector<UsageLine> MonthUsage(uint64_t seed, const std::vector<UsageSubscription>& subs,
                                  YearMonth month, Timestamp until);

// Partner Center v1 DailyRatedUsageLineItem JSON (camelCase; numbers exact via DecimalJson).
json::object UsageLineJson(const UsageLine& line);

// One line of the Graph billing export blobs (partner-center-api.md §7a): the attribute names
// of partners-billing-attributeset.md exactly (PartnerId, ..., BenefitType); `full` gives all
// of them, otherwise the `basic` subset. `invoice_number` is "" for unbilled usage.
json::object UsageExportJson(const UsageLine& line, bool full, const std::string& invoice_number);

// The daily rated usage reconciliation CSV (arm-policy-cost.md §4.5 columns, file order).
void WriteUsageCsvHeader(std::ostream& out);
void WriteUsageCsvRow(std::ostream& out, const UsageLine& line);

// partnercloud sandbox generate-usage: `rows` lines for `customers` synthetic customers (one
// Azure subscription each), day after day from 2025-01-01, streamed to `out`, deterministic in
// `seed`. Each subscription uses 2 to 6 meters a day; `resources` > 1 makes each meter's line
// that many lines of distinct resources (a larger estate: more lines per subscription and day,
// so a file of a given size spans fewer days). Returns the number of rows written.
int64_t GenerateUsageCsv(std::ostream& out, int64_t rows, int customers, uint64_t seed,
                         int resources = 1);
// The same for given subscriptions (say, those a service bills to one alias), day after day
// from `first_day` and before `until`, at most `rows` rows.
int64_t GenerateUsageCsv(std::ostream& out, int64_t rows,
                         const std::vector<UsageSubscription>& subs, uint64_t seed, int resources,
                         Timestamp first_day, Timestamp until);

}  // namespace pc::sandbox
