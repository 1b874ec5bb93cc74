#include "billing/charges.h"

#include <algorithm>
#include <set>

#include "billing/aggregates.h"
#include "billing/allocation.h"
#include "billing/csv_writer.h"
#include "billing/pricing.h"
#include "core/error_codes.h"
#include "core/money.h"
#include "core/versioned_cache.h"

namespace pc::billing {

namespace {

std::string DayText(YearMonth month, int day) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%s-%02d", month.ToString().c_str(), day);
  return buf;
}

Status AddInto(std::map<std::string, Decimal>& sums, const std::string& key, const Decimal& v) {
  PC_ASSIGN_OR_RETURN(sums[key], sums[key].Add(v));
  return {};
}

// Each part's amount rounded by the one allocation (allocation.h), so that the parts sum to the
// rounded total; the exact amounts beside them.
std::vector<std::string> Allocated(const std::map<std::string, Decimal>& sums, int minor_unit) {
  std::vector<Decimal> parts;
  parts.reserve(sums.size());
  for (const auto& [key, amount] : sums) parts.push_back(amount);
  auto allocated = AllocateRounding(parts, minor_unit);
  std::vector<std::string> out;
  for (size_t i = 0; i < parts.size(); ++i) {
    out.push_back(allocated.ok() ? allocated->at(i).ToString()
                                 : parts[i].RoundHalfUp(minor_unit).ToString());
  }
  return out;
}

json::object Amounts(const std::map<std::string, Decimal>& sums, std::string_view key_name,
                     int minor_unit) {
  json::array items;
  auto rounded = Allocated(sums, minor_unit);
  size_t i = 0;
  for (const auto& [key, amount] : sums) {
    items.push_back(json::object{
        {key_name, key}, {"charge", rounded[i++]}, {"exactCharge", amount.ToString()}});
  }
  return json::object{{"items", std::move(items)}};
}

// Exactly `places` fraction digits, rounded half-up once.
std::string Fixed(const Decimal& v, int places) {
  auto r = v.Rescale(places);
  return r.ok() ? r->ToString() : v.RoundHalfUp(places).ToString();
}

}  // namespace

Result<std::vector<PricedRollup>> LoadPricedRollups(store::Transaction& tx,
                                                    const std::string& alias, YearMonth month) {
  PC_ASSIGN_OR_RETURN(auto rules, LoadRulesFor(tx, alias));
  PC_ASSIGN_OR_RETURN(auto rows,
                      tx.Query("SELECT azure_subscription_id, meter_category, usage_day, "
                               "currency, quantity, charge, updated_at, line_count, partner_cost, "
                               "exchange_rates FROM "
                               "usage_rollups "
                               "WHERE billing_alias = ? AND usage_day >= ? AND usage_day < ? "
                               "ORDER BY usage_day, azure_subscription_id, meter_category, "
                               "customer_id, currency",
                               {alias, month.ToString() + "-01", month.Next().ToString() + "-01"}));
  std::vector<PricedRollup> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    PricedRollup p{r.Text(0), r.Text(1), r.Text(2), r.Text(3), {}, {}, r.Text(6), {}, {}, {}};
    auto quantity = Decimal::Parse(r.Text(4));
    auto charge = Decimal::Parse(r.Text(5));
    if (!quantity.ok() || !charge.ok()) return Internal("a stored rollup is not a decimal");
    // A group a later snapshot took back out entirely: kept (its updated_at tells a closed
    // month's reconciliation that it changed), but not usage.
    if (r.Int(7) == 0 && quantity->IsZero() && charge->IsZero()) continue;
    p.quantity = *quantity;
    auto cost = Decimal::Parse(r.Text(8));
    if (!cost.ok()) return Internal("a stored rollup is not a decimal");
    p.partner_cost = *cost;
    p.exchange_rates = r.Text(9);
    p.list_charge = *charge;
    PC_ASSIGN_OR_RETURN(p.charge,
                        ApplyRule(*charge, RuleInEffect(rules, alias, p.meter_category, p.day)));
    out.push_back(std::move(p));
  }
  return out;
}

Status CheckAliasAccess(store::Transaction& tx, const identity::Principal& who,
                        const std::string& alias) {
  if (who.via == identity::Principal::Via::kSystem || identity::IsPartnerStaff(who.user.role)) {
    return {};
  }
  PC_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT 1 FROM billing_aliases WHERE alias = ? AND "
                                          "organization_id = ?",
                                          {alias, who.organization.id}));
  if (rows.empty()) {
    return NotFound("Your organization has no billing alias " + alias);
  }
  return {};
}

std::string NoUsageYetMessage(const std::string& alias, YearMonth month) {
  return "No Azure usage has been rated yet for billing alias " + alias + " in " +
         month.ToString() +
         "; estimates need at least one hour of usage (Microsoft rates usage daily, so they "
         "appear after the first day's usage is imported)";
}

Result<std::string> AliasCurrency(store::Transaction& tx, const std::string& alias) {
  PC_ASSIGN_OR_RETURN(auto rows,
                      tx.Query("SELECT currency FROM billing_aliases WHERE alias = ?", {alias}));
  return rows.empty() ? std::string() : rows[0].Text(0);
}

std::string ForeignCurrencyMessage(const std::string& alias, const std::string& alias_currency,
                                   const std::string& usage_currency, YearMonth month) {
  return "Billing alias " + alias + " bills in " + alias_currency +
         " (its CenturyLink Cloud account's currency) but has usage in " + usage_currency + " in " +
         month.ToString() + "; it is not added to the " + alias_currency +
         " total: check the Azure customer's billing currency in Partner Center";
}

Result<BillingSummary> SummarizeMonth(store::Transaction& tx, const std::string& alias,
                                      YearMonth month) {
  PC_ASSIGN_OR_RETURN(auto aggregate, LoadMonthAggregate(tx, alias, month));
  if (!aggregate) return SummarizeMonthFromRollups(tx, alias, month);  // stale: rebuilt soon
  if (aggregate->by_currency.empty()) {
    return Error(codes::kNoUsageYet, NoUsageYetMessage(alias, month));
  }
  PC_ASSIGN_OR_RETURN(std::string alias_currency, AliasCurrency(tx, alias));
  if (aggregate->by_currency.size() != 1 ||
      (!alias_currency.empty() && aggregate->by_currency.begin()->first != alias_currency)) {
    // Refused; the rollups name the currencies in the order the message has always used.
    return SummarizeMonthFromRollups(tx, alias, month);
  }
  auto& [currency, sums] = *aggregate->by_currency.begin();
  BillingSummary s;
  s.alias = alias;
  s.month = month;
  s.currency = currency;
  std::map<int, Decimal> by_day_number;
  for (const auto& [day, charge] : sums.by_day) by_day_number[std::stoi(day.substr(8, 2))] = charge;
  s.by_day = std::move(sums.by_day);
  s.by_meter_category = std::move(sums.by_meter_category);
  s.by_subscription = std::move(sums.by_subscription);
  auto code = Currency::FromCode(s.currency);
  s.minor_unit = code.ok() ? code->minor_unit : 2;
  s.latest_day = DayText(month, by_day_number.rbegin()->first);
  PC_ASSIGN_OR_RETURN(s.estimate, ComputeEstimate(month, by_day_number, s.minor_unit));
  s.generation = aggregate->generation;
  return s;
}

Result<BillingSummary> SummarizeMonthFromRollups(store::Transaction& tx, const std::string& alias,
                                                 YearMonth month) {
  PC_ASSIGN_OR_RETURN(auto rows, LoadPricedRollups(tx, alias, month));
  if (rows.empty()) return Error(codes::kNoUsageYet, NoUsageYetMessage(alias, month));
  PC_ASSIGN_OR_RETURN(std::string alias_currency, AliasCurrency(tx, alias));
  BillingSummary s;
  s.alias = alias;
  s.month = month;
  s.currency = alias_currency.empty() ? rows.front().currency : alias_currency;
  std::map<int, Decimal> by_day_number;
  for (const auto& r : rows) {
    if (!alias_currency.empty() && r.currency != alias_currency) {
      return FailedPrecondition(ForeignCurrencyMessage(alias, alias_currency, r.currency, month));
    }
    if (r.currency != s.currency) {
      return FailedPrecondition("Billing alias " + alias + " has usage in two currencies (" +
                                s.currency + " and " + r.currency + ") in " + month.ToString());
    }
    int day = std::stoi(r.day.substr(8, 2));
    PC_ASSIGN_OR_RETURN(by_day_number[day], by_day_number[day].Add(r.charge));
    PC_RETURN_IF_ERROR(AddInto(s.by_meter_category, r.meter_category, r.charge));
    PC_RETURN_IF_ERROR(AddInto(s.by_subscription, r.azure_subscription_id, r.charge));
  }
  auto currency = Currency::FromCode(s.currency);
  s.minor_unit = currency.ok() ? currency->minor_unit : 2;
  for (const auto& [day, charge] : by_day_number) s.by_day[DayText(month, day)] = charge;
  s.latest_day = DayText(month, by_day_number.rbegin()->first);
  PC_ASSIGN_OR_RETURN(s.estimate, ComputeEstimate(month, by_day_number, s.minor_unit));
  return s;
}

json::object ToJson(const BillingSummary& s) {
  const int mu = s.minor_unit;
  json::array daily;
  auto rounded = Allocated(s.by_day, mu);
  size_t i = 0;
  for (const auto& [day, amount] : s.by_day) {
    daily.push_back(
        json::object{{"day", day}, {"charge", rounded[i++]}, {"exactCharge", amount.ToString()}});
  }
  auto as_of = ParseTimestamp(s.latest_day);
  return json::object{
      {"billingAlias", s.alias},
      {"month", s.month.ToString()},
      {"currency", s.currency},
      {"mtd", Fixed(s.estimate.mtd, mu)},
      {"mtdExact", s.estimate.mtd.ToString()},
      {"eomEstimate", Fixed(s.estimate.eom, mu)},
      {"forecast", Fixed(s.estimate.forecast, mu)},
      {"asOf", as_of.ok() ? FormatTimestamp(*as_of + std::chrono::days(1)) : ""},
      {"latestUsageDay", s.latest_day},
      {"daysInMonth", s.estimate.days_in_month},
      {"daysElapsed", s.estimate.days_elapsed},
      {"daily", std::move(daily)},
      {"byMeterCategory", Amounts(s.by_meter_category, "meterCategory", mu).at("items")},
      {"byAzureSubscription", Amounts(s.by_subscription, "azureSubscriptionId", mu).at("items")}};
}

std::string EstimateBody(const BillingSummary& s) {
  return "{\"mtdEstimate\":" + Fixed(s.estimate.mtd, s.minor_unit) +
         ",\"eomEstimate\":" + Fixed(s.estimate.eom, s.minor_unit) + "}";
}

Result<std::string> DetailCsv(const std::vector<PricedRollup>& rows) {
  // Rollups of several customers of one subscription/category/day are one detail row.
  std::map<std::tuple<std::string, std::string, std::string, std::string>,
           std::pair<Decimal, Decimal>>
      grouped;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, std::set<std::string>>
      rates;
  for (const auto& r : rows) {
    std::tuple key{r.azure_subscription_id, r.meter_category, r.day, r.currency};
    auto& [q, c] = grouped[key];
    PC_ASSIGN_OR_RETURN(q, q.Add(r.quantity));
    PC_ASSIGN_OR_RETURN(c, c.Add(r.charge));
    auto& seen = rates[key];
    for (size_t at = 0; at < r.exchange_rates.size();) {
      size_t end = std::min(r.exchange_rates.find(' ', at), r.exchange_rates.size());
      if (end > at) seen.insert(r.exchange_rates.substr(at, end - at));
      at = end + 1;
    }
  }
  // Subscription, category and currency come from usage files: text cells (neutralised);
  // quantity and charge are our own decimals: number cells.
  // BilledCharge: the charge rounded by the one allocation (allocation.h) per currency, so the
  // column sums exactly to the month's rounded total (the invoice line).
  std::map<std::string, std::vector<Decimal>> by_currency;
  for (const auto& [key, sums] : grouped) by_currency[std::get<3>(key)].push_back(sums.second);
  std::map<std::string, std::vector<Decimal>> billed;
  for (const auto& [currency, parts] : by_currency) {
    auto code = Currency::FromCode(currency);
    PC_ASSIGN_OR_RETURN(billed[currency],
                        AllocateRounding(parts, code.ok() ? code->minor_unit : 2));
  }
  std::map<std::string, size_t> next;
  CsvWriter csv;
  csv.Header({"AzureSubscriptionId", "MeterCategory", "Day", "Quantity", "Charge", "Currency",
              "PCToBCExchangeRate", "BilledCharge"});
  for (const auto& [key, sums] : grouped) {
    const auto& [sub, category, day, currency] = key;
    csv.Text(sub).Text(category).Text(day).Number(sums.first).Number(sums.second).Text(currency);
    std::string rate_list;
    for (const auto& r : rates[key]) rate_list += (rate_list.empty() ? "" : " ") + r;
    csv.Text(rate_list);
    csv.Number(billed[currency][next[currency]++]);
    csv.EndRow();
  }
  return csv.Take();
}

namespace {

// Rendered summaries by "alias|month", at "generation|alias currency".
VersionedCache<RenderedSummary>& RenderedCache() {
  static VersionedCache<RenderedSummary> cache(4096);
  return cache;
}

}  // namespace

Result<std::shared_ptr<const RenderedSummary>> RenderMonth(store::Transaction& tx,
                                                           const std::string& alias,
                                                           YearMonth month) {
  const std::string key = alias + "|" + month.ToString();
  // The month's generation (MonthAggregate::generation, "" when stale) and the alias's currency
  // (AliasCurrency), in one indexed row.
  PC_ASSIGN_OR_RETURN(
      auto head, tx.Query("SELECT m.stale, m.generation, (SELECT currency FROM billing_aliases "
                          "WHERE alias = m.billing_alias) FROM billing_mtd_months m WHERE "
                          "m.billing_alias = ? AND m.month = ?",
                          {alias, month.ToString()}));
  std::string generation, currency;
  if (!head.empty() && head[0].Int(0) == 0) generation = head[0].Text(1);
  if (!head.empty()) currency = head[0].Text(2);
  if (!generation.empty()) {
    if (auto kept = RenderedCache().Find(key, generation + "|" + currency)) return kept;
  }
  PC_ASSIGN_OR_RETURN(BillingSummary summary, SummarizeMonth(tx, alias, month));
  auto rendered = std::make_shared<RenderedSummary>();
  rendered->json = json::serialize(ToJson(summary));
  rendered->estimate = EstimateBody(summary);
  rendered->summary = std::move(summary);
  // Kept when read from the aggregates at the generation above (the same snapshot).
  if (!generation.empty() && rendered->summary.generation == generation) {
    RenderedCache().Put(key, generation + "|" + currency, rendered);
  }
  return std::shared_ptr<const RenderedSummary>(std::move(rendered));
}

Result<std::shared_ptr<const RenderedSummary>> SummarizeAliasMonth(store::Database& db,
                                                                   const identity::Principal& who,
                                                                   const std::string& alias,
                                                                   YearMonth month) {
  return db.InReadTransaction<std::shared_ptr<const RenderedSummary>>(
      [&](store::Transaction& tx) -> Result<std::shared_ptr<const RenderedSummary>> {
        PC_RETURN_IF_ERROR(CheckAliasAccess(tx, who, alias));
        return RenderMonth(tx, alias, month);
      });
}

Result<std::string> AliasDetailCsv(store::Database& db, const identity::Principal& who,
                                   const std::string& alias, YearMonth month) {
  return db.InReadTransaction<std::string>([&](store::Transaction& tx) -> Result<std::string> {
    PC_RETURN_IF_ERROR(CheckAliasAccess(tx, who, alias));
    PC_ASSIGN_OR_RETURN(auto rows, LoadPricedRollups(tx, alias, month));
    return DetailCsv(rows);
  });
}

}  // namespace pc::billing
