#include "billing/focus_export.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "billing/allocation.h"
#include "billing/csv_writer.h"
#include "core/money.h"

namespace pc::billing {

namespace {

// The columns, and where each rule comes from. Sources (FinOps-Open-Cost-and-Usage-Spec/
// FOCUS_Spec, tag v1.2, 2025-05-30):
//   - specification/columns/<column>.md, "Content Constraints" tables: Feature level
//     (Mandatory / Conditional / Recommended), Allows nulls, Data type; the requirement lists
//     above them (e.g. billedcost.md: the sum of BilledCost for a billing period MUST match the
//     invoices; listcost.md / contractedcost.md: without ListUnitPrice / ContractedUnitPrice a
//     charge unrelated to other charges MUST have ListCost / ContractedCost matching BilledCost
//     unless a unit price applies; pricingunit.md: PricingUnit MUST NOT be null for Usage rows
//     that are not corrections; billingaccounttype.md and subaccounttype.md (new in 1.2):
//     present only when the provider has more than one type, so not here).
//   - specification/attributes/: date/time values UTC ISO 8601 "YYYY-MM-DDTHH:mm:ssZ", period
//     starts inclusive and ends exclusive (datetime_format.md, billingperiodstart.md); numeric
//     format without thousands separators, currency symbols or '+' (numeric_format.md);
//     ISO 4217 currency codes (currency_code_format.md); null handling: a missing value is null,
//     never an empty string or "N/A" (null_handling.md; in CSV a null is an empty cell);
//     custom columns are prefixed "x_" (column_naming_and_ordering.md).
//   - specification/metadata/: the DataGenerator and Schema metadata (SchemaId, FocusVersion,
//     CreationDate, ColumnDefinition with ColumnName / DataType / StringEncoding).
// Also summarised in ../shared/reference/arm-policy-cost.md §4.1 (v1.1 table plus the 1.2
// additions) and §4.2 (Microsoft's export: x_ columns, SubAccountId "/subscriptions/{guid}").
// The FOCUS 1.2 Mandatory columns are the 21 marked "Mandatory" below; the validator of the
// tests (tests/focus_validator.h) keeps its own copy of these rules.
const std::vector<FocusColumn> kColumns = {
    {"BilledCost", FocusType::kDecimal, "Mandatory", false},
    {"BillingAccountId", FocusType::kString, "Mandatory", false},
    {"BillingAccountName", FocusType::kString, "Mandatory", true},
    {"BillingCurrency", FocusType::kString, "Mandatory", false},
    {"BillingPeriodEnd", FocusType::kDateTime, "Mandatory", false},
    {"BillingPeriodStart", FocusType::kDateTime, "Mandatory", false},
    {"ChargeCategory", FocusType::kString, "Mandatory", false},
    {"ChargeClass", FocusType::kString, "Mandatory", true},
    {"ChargeDescription", FocusType::kString, "Mandatory", true},
    {"ChargeFrequency", FocusType::kString, "Recommended", false},
    {"ChargePeriodEnd", FocusType::kDateTime, "Mandatory", false},
    {"ChargePeriodStart", FocusType::kDateTime, "Mandatory", false},
    {"ContractedCost", FocusType::kDecimal, "Mandatory", false},
    {"EffectiveCost", FocusType::kDecimal, "Mandatory", false},
    {"InvoiceIssuerName", FocusType::kString, "Mandatory", false},
    {"ListCost", FocusType::kDecimal, "Mandatory", false},
    {"PricingQuantity", FocusType::kDecimal, "Mandatory", true},
    {"PricingUnit", FocusType::kString, "Mandatory", true},
    {"ProviderName", FocusType::kString, "Mandatory", false},
    {"PublisherName", FocusType::kString, "Mandatory", false},
    {"ServiceCategory", FocusType::kString, "Mandatory", false},
    {"ServiceName", FocusType::kString, "Mandatory", false},
    {"SubAccountId", FocusType::kString, "Conditional", true},
    // Partner columns. x_SubscriptionId: the Azure subscription GUID (SubAccountId is its ARM
    // id, as in Microsoft's export). x_BillingExchangeRate: the PCToBCExchangeRate values of
    // the row's usage lines, space-separated when they differ, null when not recorded (as the
    // PCToBCExchangeRate of detail.csv). x_BilledCostExact: the customer's charge before
    // rounding (BilledCost is it rounded by the allocation).
    {"x_SubscriptionId", FocusType::kString, "Custom", false},
    {"x_BillingExchangeRate", FocusType::kString, "Custom", true},
    {"x_BilledCostExact", FocusType::kDecimal, "Custom", false},
};

// A FOCUS date/time: "YYYY-MM-DDTHH:mm:ssZ" (no fraction), UTC.
std::string FocusTime(Timestamp t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd(day);
  const std::chrono::hh_mm_ss<std::chrono::microseconds> tod(t - day);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(tod.hours().count()),
                int(tod.minutes().count()), int(tod.seconds().count()));
  return buf;
}

int MinorUnitOf(const std::string& currency) {
  auto code = Currency::FromCode(currency);
  return code.ok() ? code->minor_unit : 2;
}

// One row of the dataset: the rollups of a (subscription, meter category, day, currency), the
// grouping of detail.csv (rollups of several customers of one subscription are one row).
struct Group {
  Decimal quantity, charge, list;
  std::set<std::string> rates;
};
using GroupKey = std::tuple<std::string, std::string, std::string, std::string>;

}  // namespace

const std::vector<FocusColumn>& FocusColumns() { return kColumns; }

std::string_view FocusTypeName(FocusType type) {
  switch (type) {
    case FocusType::kString:
      return "STRING";
    case FocusType::kDecimal:
      return "DECIMAL";
    case FocusType::kDateTime:
      return "DATETIME";
  }
  return "STRING";
}

std::string_view ServiceCategoryOf(std::string_view meter_category) {
  // Azure meter categories (Partner Center MeterCategory) to the ServiceCategory allowed values
  // of FOCUS 1.2 (servicecategory.md): the categories Azure bills most, the rest "Other".
  static const std::map<std::string, std::string_view, std::less<>> kCategories = {
      {"ai + machine learning", "AI and Machine Learning"},
      {"api management", "Integration"},
      {"app service", "Web"},
      {"application gateway", "Networking"},
      {"automation", "Management and Governance"},
      {"azure app service", "Web"},
      {"azure cosmos db", "Databases"},
      {"azure data factory v2", "Analytics"},
      {"azure database for mysql", "Databases"},
      {"azure database for postgresql", "Databases"},
      {"azure databricks", "Analytics"},
      {"azure dns", "Networking"},
      {"azure firewall", "Security"},
      {"azure front door service", "Networking"},
      {"azure kubernetes service", "Compute"},
      {"azure monitor", "Management and Governance"},
      {"azure openai", "AI and Machine Learning"},
      {"azure site recovery", "Management and Governance"},
      {"azure synapse analytics", "Analytics"},
      {"backup", "Storage"},
      {"bandwidth", "Networking"},
      {"cloud services", "Compute"},
      {"cognitive services", "AI and Machine Learning"},
      {"container instances", "Compute"},
      {"container registry", "Developer Tools"},
      {"content delivery network", "Networking"},
      {"event grid", "Integration"},
      {"event hubs", "Integration"},
      {"expressroute", "Networking"},
      {"functions", "Compute"},
      {"hdinsight", "Analytics"},
      {"insight and analytics", "Management and Governance"},
      {"iot hub", "Internet of Things"},
      {"key vault", "Security"},
      {"load balancer", "Networking"},
      {"log analytics", "Management and Governance"},
      {"logic apps", "Integration"},
      {"machine learning", "AI and Machine Learning"},
      {"media services", "Media"},
      {"microsoft defender for cloud", "Security"},
      {"network watcher", "Networking"},
      {"redis cache", "Databases"},
      {"sentinel", "Security"},
      {"service bus", "Integration"},
      {"sql database", "Databases"},
      {"sql managed instance", "Databases"},
      {"storage", "Storage"},
      {"stream analytics", "Analytics"},
      {"traffic manager", "Networking"},
      {"virtual machines", "Compute"},
      {"virtual machines licenses", "Compute"},
      {"virtual network", "Networking"},
      {"vpn gateway", "Networking"},
  };
  std::string key(meter_category);
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto it = kCategories.find(key);
  return it == kCategories.end() ? std::string_view("Other") : it->second;
}

std::string FocusFileName(const std::string& alias, YearMonth month) {
  return alias + "-" + month.ToString() + "-focus.csv";
}

Result<std::string> FocusCsv(const std::vector<PricedRollup>& rows, const std::string& alias,
                             const std::string& account_name, YearMonth month,
                             const FocusOptions& options) {
  std::map<GroupKey, Group> groups;
  for (const auto& r : rows) {
    auto& g = groups[GroupKey{r.azure_subscription_id, r.meter_category, r.day, r.currency}];
    PC_ASSIGN_OR_RETURN(g.quantity, g.quantity.Add(r.quantity));
    PC_ASSIGN_OR_RETURN(g.charge, g.charge.Add(r.charge));
    PC_ASSIGN_OR_RETURN(g.list, g.list.Add(r.list_charge));
    for (size_t at = 0; at < r.exchange_rates.size();) {
      size_t end = std::min(r.exchange_rates.find(' ', at), r.exchange_rates.size());
      if (end > at) g.rates.insert(r.exchange_rates.substr(at, end - at));
      at = end + 1;
    }
  }
  // The one allocation per currency, over the groups in detail.csv's order (subscription,
  // category, day), so each BilledCost is the BilledCharge of the same detail.csv row and the
  // column sums to the month's rounded total: the invoice line.
  std::map<std::string, std::vector<Decimal>> charges, lists;
  for (const auto& [key, g] : groups) {
    charges[std::get<3>(key)].push_back(g.charge);
    lists[std::get<3>(key)].push_back(g.list);
  }
  std::map<std::string, std::vector<Decimal>> billed, listed;
  for (const auto& [currency, parts] : charges) {
    PC_ASSIGN_OR_RETURN(billed[currency], AllocateRounding(parts, MinorUnitOf(currency)));
    PC_ASSIGN_OR_RETURN(listed[currency], AllocateRounding(lists[currency], MinorUnitOf(currency)));
  }
  struct Out {
    const GroupKey* key;
    const Group* group;
    Decimal billed, listed;
  };
  std::vector<Out> out;
  out.reserve(groups.size());
  std::map<std::string, size_t> next;
  for (const auto& [key, g] : groups) {
    size_t i = next[std::get<3>(key)]++;
    out.push_back(Out{&key, &g, billed[std::get<3>(key)][i], listed[std::get<3>(key)][i]});
  }
  // Written by day, then subscription and meter category: the order of a daily cost file.
  std::stable_sort(out.begin(), out.end(), [](const Out& a, const Out& b) {
    return std::tie(std::get<2>(*a.key), std::get<0>(*a.key), std::get<1>(*a.key)) <
           std::tie(std::get<2>(*b.key), std::get<0>(*b.key), std::get<1>(*b.key));
  });

  const std::string period_start = FocusTime(month.Start());
  const std::string period_end = FocusTime(month.End());
  CsvWriter csv;
  for (const auto& c : kColumns) csv.Text(c.name);
  csv.EndRow();
  for (const auto& o : out) {
    const auto& [sub, category, day, currency] = *o.key;
    auto day_start = ParseTimestamp(day);
    if (!day_start.ok()) return Internal("a stored usage day is not a date: " + day);
    std::string rates;
    for (const auto& r : o.group->rates) rates += (rates.empty() ? "" : " ") + r;
    csv.Number(o.billed)                                     // BilledCost
        .Text(alias)                                         // BillingAccountId
        .Text(account_name)                                  // BillingAccountName
        .Text(currency)                                      // BillingCurrency
        .Text(period_end)                                    // BillingPeriodEnd
        .Text(period_start)                                  // BillingPeriodStart
        .Text("Usage")                                       // ChargeCategory
        .Text("")                                            // ChargeClass: no corrections
        .Text("Microsoft Azure " + category + " usage")      // ChargeDescription
        .Text("Usage-Based")                                 // ChargeFrequency
        .Text(FocusTime(*day_start + std::chrono::days(1)))  // ChargePeriodEnd
        .Text(FocusTime(*day_start))                         // ChargePeriodStart
        .Number(o.billed)                                    // ContractedCost
        .Number(o.billed)                                    // EffectiveCost
        .Text(options.invoice_issuer)                        // InvoiceIssuerName
        .Number(o.listed)                                    // ListCost
        .Number(o.group->quantity)                           // PricingQuantity
        .Text("Units")                                       // PricingUnit
        .Text("Microsoft")                                   // ProviderName
        .Text("Microsoft")                                   // PublisherName
        .Text(ServiceCategoryOf(category))                   // ServiceCategory
        .Text(category)                                      // ServiceName
        .Text("/subscriptions/" + sub)                       // SubAccountId
        .Text(sub)                                           // x_SubscriptionId
        .Text(rates)                                         // x_BillingExchangeRate
        .Number(o.group->charge)                             // x_BilledCostExact
        .EndRow();
  }
  return csv.Take();
}

Result<std::string> AliasFocusCsv(store::Database& db, const identity::Principal& who,
                                  const std::string& alias, YearMonth month,
                                  const FocusOptions& options) {
  return db.InTransaction<std::string>([&](store::Transaction& tx) -> Result<std::string> {
    PC_RETURN_IF_ERROR(CheckAliasAccess(tx, who, alias));
    PC_ASSIGN_OR_RETURN(auto rows, LoadPricedRollups(tx, alias, month));
    PC_ASSIGN_OR_RETURN(auto names, tx.Query("SELECT company_name FROM billing_aliases WHERE "
                                             "alias = ?",
                                             {alias}));
    return FocusCsv(rows, alias, names.empty() ? std::string() : names[0].Text(0), month, options);
  });
}

json::object FocusMetadata(const std::string& alias, YearMonth month, const FocusOptions& options) {
  json::array columns;
  for (const auto& c : kColumns) {
    json::object def{{"ColumnName", c.name}, {"DataType", FocusTypeName(c.type)}};
    if (c.type == FocusType::kString) def["StringEncoding"] = "UTF-8";
    def["FeatureLevel"] = c.level;
    def["AllowsNulls"] = c.nullable;
    columns.push_back(std::move(def));
  }
  return json::object{
      {"DataGenerator", options.invoice_issuer + " (partnercloud)"},
      {"Schema",
       json::object{{"SchemaId", kFocusSchemaId},
                    {"FocusVersion", kFocusVersion},
                    {"CreationDate", "2026-11-30T00:00:00Z"},  // when this column set was made
                    {"ColumnDefinition", std::move(columns)}}},
      {"Dataset",
       json::object{{"SchemaId", kFocusSchemaId},
                    {"BillingAccountId", alias},
                    {"BillingPeriodStart", FocusTime(month.Start())},
                    {"BillingPeriodEnd", FocusTime(month.End())},
                    {"FileName", FocusFileName(alias, month)},
                    {"Format", "CSV (RFC 4180, CRLF, header row, UTF-8); null is an empty cell"}}}};
}

Result<json::object> AliasFocusMetadata(store::Database& db, const identity::Principal& who,
                                        const std::string& alias, YearMonth month,
                                        const FocusOptions& options) {
  return db.InTransaction<json::object>([&](store::Transaction& tx) -> Result<json::object> {
    PC_RETURN_IF_ERROR(CheckAliasAccess(tx, who, alias));
    return FocusMetadata(alias, month, options);
  });
}

}  // namespace pc::billing
