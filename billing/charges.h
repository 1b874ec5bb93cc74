// Charges of a billing alias: the rollups of a month priced with the pricing rules in effect,
// who may read them, and the views built on them (month-to-date summary, detail CSV).
// Thread-safe (no state of its own).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "billing/estimate.h"
#include "core/decimal.h"
#include "core/json.h"
#include "core/result.h"
#include "core/time.h"
#include "identity/identity.h"
#include "store/store.h"

namespace pc::billing {

// One rollup row of an alias with its customer charge after the pricing rule of its day.
struct PricedRollup {
  std::string azure_subscription_id;
  std::string meter_category;
  std::string day;  // YYYY-MM-DD
  std::string currency;
  Decimal quantity;
  Decimal charge;  // exact, after the pricing rule
  std::string updated_at;
  Decimal partner_cost;  // what Microsoft bills the partner (BillingPreTaxTotal), exact
  // The PCToBCExchangeRate values of its lines (usage_rollups.exchange_rates): distinct,
  // space-separated; "" when not recorded.
  std::string exchange_rates;
  Decimal list_charge;  // the charge before the pricing rule (UnitPrice × Quantity), exact
};

// The month's rollups of `alias`, ordered by day, subscription, meter category. This is the one
// month-to-date computation: the summary, detail CSV, margin and month close all sum its rows.
Result<std::vector<PricedRollup>> LoadPricedRollups(store::Transaction& tx,
                                                    const std::string& alias, YearMonth month);

// Whether `who` may read the alias's billing: the partner's staff may read every alias; an
// organization only the aliases it owns (billing_aliases.organization_id). Anything else is
// NotFound, so that other organizations' aliases are not disclosed.
Status CheckAliasAccess(store::Transaction& tx, const identity::Principal& who,
                        const std::string& alias);

struct BillingSummary {
  std::string alias;
  YearMonth month;
  std::string currency;
  int minor_unit = 2;
  Estimate estimate;
  std::string latest_day;  // YYYY-MM-DD of the latest usage
  std::map<std::string, Decimal> by_day, by_meter_category, by_subscription;  // exact
  // The generation of the aggregates it was read from (MonthAggregate::generation); "" when
  // computed from the rollups.
  std::string generation;
};

// The currency the alias bills in: its CLC account's, recorded when the account was connected
// (billing_aliases.currency); "" when none is recorded (no such alias, or connected before).
Result<std::string> AliasCurrency(store::Transaction& tx, const std::string& alias);

// The operator's message when the alias has usage in `usage_currency` but bills in
// `alias_currency`.
std::string ForeignCurrencyMessage(const std::string& alias, const std::string& alias_currency,
                                   const std::string& usage_currency, YearMonth month);

// The month's summary. codes::kNoUsageYet (a NotFound, core/error_codes.h) when the alias has
// no usage in the month. FailedPrecondition when the month mixes
// currencies, or has usage in another currency than the alias's (AliasCurrency): never summed.
// Read from the month-to-date aggregates (aggregates.h): a few indexed rows.
Result<BillingSummary> SummarizeMonth(store::Transaction& tx, const std::string& alias,
                                      YearMonth month);
// The same computed from the month's rollups (LoadPricedRollups): what a stale month reads, and
// the reference the aggregates are tested against.
Result<BillingSummary> SummarizeMonthFromRollups(store::Transaction& tx, const std::string& alias,
                                                 YearMonth month);
// The message of the NoUsageYet error.
std::string NoUsageYetMessage(const std::string& alias, YearMonth month);

// A month's summary with the API's bodies for it, built once per generation of the month's
// aggregates and shared by every reader while the generation lasts.
struct RenderedSummary {
  BillingSummary summary;
  std::string json;      // ToJson(summary), serialized: GET /api/v1/billing/{alias}
  std::string estimate;  // EstimateBody(summary): the seed's billingestimate
};

// SummarizeMonth and its bodies. When the month's aggregates have a generation, this process
// keeps the result (bounded) and reuses it while the generation and the alias's currency stay
// what this transaction reads: one indexed row each, then no computation.
Result<std::shared_ptr<const RenderedSummary>> RenderMonth(store::Transaction& tx,
                                                           const std::string& alias,
                                                           YearMonth month);

// RenderMonth for `who`, in its own read-only transaction: CheckAliasAccess first (NotFound for
// an alias `who` may not read).
Result<std::shared_ptr<const RenderedSummary>> SummarizeAliasMonth(store::Database& db,
                                                                   const identity::Principal& who,
                                                                   const std::string& alias,
                                                                   YearMonth month);

// The summary as GET /api/v1/billing/{alias} answers it (amounts as decimal strings).
json::object ToJson(const BillingSummary& summary);
// {"mtdEstimate":12.34,"eomEstimate":56.78}: the seed's body, numbers written from exact
// decimals with the currency's minor-unit places.
std::string EstimateBody(const BillingSummary& summary);

// The detail CSV (CsvWriter: RFC 4180, CRLF, text cells neutralised against CSV injection):
// AzureSubscriptionId, MeterCategory, Day, Quantity, Charge, Currency, PCToBCExchangeRate (the
// rates of the row's lines, space-separated when they differ), BilledCharge; one row per
// subscription, meter category and day, charges exact after pricing.
// OutOfRange on overflow.
Result<std::string> DetailCsv(const std::vector<PricedRollup>& rows);
// The alias's detail CSV of `month` for `who` (CheckAliasAccess first).
Result<std::string> AliasDetailCsv(store::Database& db, const identity::Principal& who,
                                   const std::string& alias, YearMonth month);

}  // namespace pc::billing
