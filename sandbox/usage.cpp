#include "sandbox/usage.h"

#include "sandbox/faults.h"
#include "sandbox/state.h"

namespace pc::sandbox {

namespace {

struct Meter {
  const char* id;
  const char* name;
  const char* category;
  const char* subcategory;
  const char* unit;
  const char* service;
  const char* resource_type;
  const char* unit_price;  // USD list price
  int max_quantity;        // per day, whole units before the fraction
};

constexpr Meter kMeters[] = {
    {"f1a9e1f4-6f3e-4b41-a3c5-1a9b8f0c0001", "D2s v3", "Virtual Machines", "Dsv3 Series", "1 Hour",
     "Microsoft.Compute", "virtualMachines", "0.096", 24},
    {"f1a9e1f4-6f3e-4b41-a3c5-1a9b8f0c0002", "P10 Disks", "Storage", "Premium SSD Managed Disks",
     "1/Month", "Microsoft.Compute", "disks", "0.6336", 1},
    {"f1a9e1f4-6f3e-4b41-a3c5-1a9b8f0c0003", "Hot LRS Data Stored", "Storage", "Blob Storage",
     "1 GB/Month", "Microsoft.Storage", "storageAccounts", "0.0208", 500},
    {"f1a9e1f4-6f3e-4b41-a3c5-1a9b8f0c0004", "Standard Data Processed", "Load Balancer", "Standard",
     "1 GB", "Microsoft.Network", "loadBalancers", "0.005", 200},
    {"f1a9e1f4-6f3e-4b41-a3c5-1a9b8f0c0005", "Static Public IP", "Virtual Network", "IP Addresses",
     "1 Hour", "Microsoft.Network", "publicIPAddresses", "0.005", 24},
    {"f1a9e1f4-6f3e-4b41-a3c5-1a9b8f0c0006", "Data Ingestion", "Log Analytics", "Pay-as-you-go",
     "1 GB", "Microsoft.Insights", "components", "2.76", 3},
};

const char* kRegions[] = {"eastus", "westeurope", "centralus"};
const char* kTags[] = {"", R"({"env":"prod"})",
                       R"({"cost-center":"R&D, \"blue\" team","env":"dev"})",
                       R"({"owner":"ops, night shift","project":"alpha"})"};

uint64_t Mix(uint64_t seed, const std::string& s, int64_t day) {
  uint64_t h = 1469598103934665603ULL ^ seed;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h ^ (static_cast<uint64_t>(day) * 0x9E3779B97F4A7C15ULL);
}

// A quantity with 6 fraction digits in (0, max].
Decimal Quantity(SeededRandom& r, int max) {
  Int128 micros = static_cast<Int128>(r.Below(static_cast<uint64_t>(max) * 1000000)) + 1;
  return Decimal::FromParts(micros, 6).value();
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::vector<UsageLine> DailyUsage(uint64_t seed, const UsageSubscription& sub, Timestamp day) {
  int64_t day_number = ToUnixSeconds(day) / 86400;
  SeededRandom r(Mix(seed, sub.azure_subscription_id, day_number));
  // The subscription's resources are fixed by (seed, subscription): same meters every day.
  SeededRandom shape(Mix(seed, sub.azure_subscription_id, -1));
  size_t n = 2 + shape.Below(5);
  const char* region = kRegions[shape.Below(3)];
  std::vector<UsageLine> lines;
  for (size_t i = 0; i < n; ++i) {
    const Meter& m = kMeters[(shape.Next() + i) % std::size(kMeters)];
    UsageLine l;
    l.subscription = &sub;
    l.usage_date = day;
    l.meter_id = m.id;
    l.meter_name = m.name;
    l.meter_category = m.category;
    l.meter_subcategory = m.subcategory;
    l.meter_region = region;
    l.unit = m.unit;
    l.consumed_service = m.service;
    l.resource_group = "rg-" + std::to_string(i % 2 == 0 ? 1 : 2);
    l.resource_location = region;
    l.resource_uri = "/subscriptions/" + sub.azure_subscription_id + "/resourceGroups/" +
                     l.resource_group + "/providers/" + m.service + "/" + m.resource_type + "/res" +
                     std::to_string(i);
    l.charge_type = "new";
    l.tags = kTags[shape.Below(std::size(kTags))];
    l.additional_info = R"({"ServiceType":"Standard"})";
    l.unit_price = Decimal::Parse(m.unit_price).value();
    l.effective_unit_price = l.unit_price;
    l.quantity = Quantity(r, m.max_quantity);
    l.exchange_rate = Decimal::FromInt(1);
    if (sub.customer_country == "GB") {
      l.billing_currency = "GBP";
      l.exchange_rate = Decimal::Parse(kUsdToGbpRate).value();
    }
    lines.push_back(std::move(l));
  }
  if (r.Below(10) == 0) {  // an Azure credit now and then
    UsageLine credit = lines.front();
    credit.charge_type = "credit";
    credit.credit_percentage = 100;
    credit.effective_unit_price = credit.unit_price.Negate();
    credit.meter_name += " (Azure credit)";
    lines.push_back(std::move(credit));
  }
  for (auto& l : lines) {
    l.billing_pre_tax_total =
        l.effective_unit_price.Mul(l.quantity).value().Mul(l.exchange_rate).value().Floor(2);
    l.pricing_pre_tax_total = l.effective_unit_price.Mul(l.quantity).value().Floor(2);
  }
  return lines;
}

std::vector<RatingWindow> RatingWindows(Timestamp created, Timestamp from, Timestamp until) {
  std::vector<RatingWindow> out;
  constexpr int64_t kSlot = 6 * 3600;  // seconds
  auto slot_after = [](Timestamp t) {
    return FromUnixSeconds((ToUnixSeconds(t) / kSlot + 1) * kSlot);
  };
  Timestamp t = created;
  std::chrono::microseconds len = std::chrono::seconds(15);
  const std::chrono::microseconds longest = std::chrono::seconds(kSlot);
  while (t < until) {
    // After the doubling phase (about 11 windows) every window is a 6-hour slot aligned to 00,
    // 06, 12 and 18 UTC: jump straight to the slot holding `from`.
    if (len >= longest && t < from) {
      Timestamp slot = FromUnixSeconds(ToUnixSeconds(from) / kSlot * kSlot);
      if (slot > t) t = slot;
    }
    Timestamp end = std::min(t + len, slot_after(t));  // never across a slot (or midnight)
    if (end > until) break;                            // not rated yet
    if (end > from) out.push_back({t, end});
    t = end;
    len = std::min(len * 2, longest);
  }
  return out;
}

std::vector<UsageLine> WindowUsage(uint64_t seed, const UsageSubscription& sub,
                                   const RatingWindow& w) {
  Timestamp day = std::chrono::floor<std::chrono::days>(w.start);
  // The window's share of a day's usage, by micro-units: the same meters and resources as the
  // day, quantities for this window only.
  auto lines = DailyUsage(seed, sub, day);
  int64_t window_us =
      std::chrono::duration_cast<std::chrono::microseconds>(w.end - w.start).count();
  SeededRandom r(
      Mix(seed ^ 0x5157A7E5ULL, sub.azure_subscription_id,
          std::chrono::duration_cast<std::chrono::seconds>(w.start.time_since_epoch()).count()));
  std::string window_info = R"({"ServiceType":"Standard","UsageStartTime":")" + Iso(w.start) +
                            R"(","UsageEndTime":")" + Iso(w.end) + R"("})";
  for (auto& l : lines) {
    // Daily quantity q: this window gets a random part of q scaled by its length, at least one
    // micro-unit.
    Int128 day_micros = l.quantity.Rescale(6).value().mantissa();
    Int128 share = day_micros * window_us / (int64_t{86400} * 1000000);
    Int128 micros = share <= 1 ? 1 : static_cast<Int128>(r.Below(static_cast<uint64_t>(share))) + 1;
    l.quantity = Decimal::FromParts(micros, 6).value();
    l.additional_info = window_info;
    l.billing_pre_tax_total =
        l.effective_unit_price.Mul(l.quantity).value().Mul(l.exchange_rate).value().Floor(2);
    l.pricing_pre_tax_total = l.effective_unit_price.Mul(l.quantity).value().Floor(2);
  }
  return lines;
}

std::vector<UsageLine> MonthUsage(uint64_t seed, const std::vector<UsageSubscription>& subs,
                                  YearMonth month, Timestamp until) {
  std::vector<UsageLine> out;
  Timestamp end = std::min(month.End(), until);
  for (const auto& s : subs) {
    for (const auto& w : RatingWindows(s.created, month.Start(), end)) {
      if (w.start < month.Start()) continue;  // a window never spans midnight, so months
      for (auto& line : WindowUsage(seed, s, w)) out.push_back(std::move(line));
    }
  }
  return out;
}

json::object UsageExportJson(const UsageLine& l, bool full, const std::string& invoice_number) {
  const auto& s = *l.subscription;
  YearMonth month = YearMonth::Containing(l.usage_date);
  auto money = [](const Decimal& d) { return DecimalJson(d.ToString()); };
  std::string total = l.billing_pre_tax_total.ToString();
  // {name, in the basic set, value}, in the order of partners-billing-attributeset.md.
  struct Attribute {
    const char* name;
    bool basic;
    json::value value;
  };
  const Attribute attributes[] = {
      {"PartnerId", true, json::string(kPartnerTenantId)},
      {"PartnerName", true, "Contoso CSP"},
      {"CustomerId", true, json::string(s.customer_id)},
      {"CustomerName", true, json::string(s.customer_name)},
      {"CustomerDomainName", false, json::string(s.customer_domain)},
      {"CustomerCountry", false, json::string(s.customer_country)},
      {"MpnId", false, "1234567"},
      {"Tier2MpnId", false, ""},
      {"InvoiceNumber", true, json::string(invoice_number)},
      {"ProductId", true, json::string(kAzurePlanProductId)},
      {"SkuId", true, json::string(kAzurePlanSkuId)},
      {"AvailabilityId", false, json::string(kAzurePlanAvailabilityId)},
      {"SkuName", true, "Microsoft Azure plan"},
      {"ProductName", false, "Azure plan"},
      {"PublisherName", true, "Microsoft"},
      {"PublisherId", false, ""},
      {"SubscriptionId", true, json::string(s.plan_subscription_id)},
      {"SubscriptionDescription", false, "Azure plan"},
      {"ChargeStartDate", true, json::string(Iso(month.Start()))},
      {"ChargeEndDate", true, json::string(Iso(month.End()))},
      {"UsageDate", true, json::string(Iso(l.usage_date))},
      {"MeterType", false, json::string(l.meter_name)},
      {"MeterCategory", false, json::string(l.meter_category)},
      {"MeterId", false, json::string(l.meter_id)},
      {"MeterSubCategory", false, json::string(l.meter_subcategory)},
      {"MeterName", false, json::string(l.meter_name)},
      {"MeterRegion", false, json::string(l.meter_region)},
      {"Unit", false, json::string(l.unit)},
      {"ResourceLocation", false, json::string(l.resource_location)},
      {"ConsumedService", false, json::string(l.consumed_service)},
      {"ResourceGroup", false, json::string(l.resource_group)},
      {"ResourceURI", true, json::string(l.resource_uri)},
      {"ChargeType", true, json::string(l.charge_type)},
      {"UnitPrice", true, money(l.unit_price)},
      {"Quantity", true, money(l.quantity)},
      {"UnitType", true, ""},
      {"BillingPreTaxTotal", true, DecimalJson(total)},
      {"BillingCurrency", true, json::string(l.billing_currency)},
      {"PricingPreTaxTotal", true, DecimalJson(l.pricing_pre_tax_total.ToString())},
      {"PricingCurrency", true, "USD"},
      {"ServiceInfo1", false, ""},
      {"ServiceInfo2", false, ""},
      {"Tags", false, json::string(l.tags)},
      {"AdditionalInfo", true, json::string(l.additional_info)},
      {"EffectiveUnitPrice", true, money(l.effective_unit_price)},
      {"PCToBCExchangeRate", true, money(l.exchange_rate)},
      {"EntitlementId", true, json::string(s.azure_subscription_id)},
      {"EntitlementDescription", false, "Azure subscription"},
      {"PartnerEarnedCreditPercentage", false, l.partner_earned_credit_percentage},
      {"CreditPercentage", true, l.credit_percentage},
      {"CreditType", true, l.credit_percentage ? "Azure Credit Applied" : "Credit Not Applied"},
      {"BenefitOrderID", true, ""},
      {"BenefitID", false, ""},
      {"BenefitType", true, "Charge"},
  };
  json::object out;
  for (const auto& a : attributes) {
    if (full || a.basic) out[a.name] = a.value;
  }
  return out;
}

json::object UsageLineJson(const UsageLine& l) {
  const auto& s = *l.subscription;
  YearMonth month = YearMonth::Containing(l.usage_date);
  return json::object{
      {"partnerId", kPartnerTenantId},
      {"partnerName", "Contoso CSP"},
      {"customerId", s.customer_id},
      {"customerName", s.customer_name},
      {"customerDomainName", s.customer_domain},
      {"customerCountry", s.customer_country},
      {"invoiceNumber", ""},
      {"mpnId", "1234567"},
      {"resellerMpnId", ""},
      {"productId", kAzurePlanProductId},
      {"skuId", kAzurePlanSkuId},
      {"availabilityId", kAzurePlanAvailabilityId},
      {"skuName", "Microsoft Azure plan"},
      {"productName", "Azure plan"},
      {"publisherName", "Microsoft"},
      {"publisherId", ""},
      {"subscriptionId", s.plan_subscription_id},
      {"subscriptionDescription", "Azure plan"},
      {"chargeStartDate", Iso(month.Start())},
      {"chargeEndDate", Iso(month.End())},
      {"usageDate", Iso(l.usage_date)},
      {"meterType", l.meter_name},
      {"meterCategory", l.meter_category},
      {"meterId", l.meter_id},
      {"meterSubCategory", l.meter_subcategory},
      {"meterName", l.meter_name},
      {"meterRegion", l.meter_region},
      {"unitOfMeasure", l.unit},
      {"resourceLocation", l.resource_location},
      {"consumedService", l.consumed_service},
      {"resourceGroup", l.resource_group},
      {"resourceUri", l.resource_uri},
      {"tags", l.tags},
      {"additionalInfo", l.additional_info},
      {"serviceInfo1", ""},
      {"serviceInfo2", ""},
      {"chargeType", l.charge_type},
      {"unitPrice", DecimalJson(l.unit_price.ToString())},
      {"quantity", DecimalJson(l.quantity.ToString())},
      {"unitType", ""},
      {"billingPreTaxTotal", DecimalJson(l.billing_pre_tax_total.ToString())},
      {"billingCurrency", l.billing_currency},
      {"pricingPreTaxTotal", DecimalJson(l.pricing_pre_tax_total.ToString())},
      {"pricingCurrency", "USD"},
      {"entitlementId", s.azure_subscription_id},
      {"entitlementDescription", "Azure subscription"},
      {"pcToBCExchangeRate", DecimalJson(l.exchange_rate.ToString())},
      {"pcToBCExchangeRateDate", Iso(month.Start())},
      {"effectiveUnitPrice", DecimalJson(l.effective_unit_price.ToString())},
      {"rateOfPartnerEarnedCredit", l.partner_earned_credit_percentage},
      {"rateOfCredit", l.credit_percentage / 100},
      {"creditType", l.credit_percentage ? "Azure Credit Applied" : "Credit Not Applied"},
      {"invoiceLineItemType", "usage_line_items"},
      {"billingProvider", "marketplace"},
      {"benefitOrderId", ""},
      {"benefitId", ""},
      {"benefitType", "Charge"},
      {"attributes", json::object{{"objectType", "DailyRatedUsageLineItem"}}}};
}

void WriteUsageCsvHeader(std::ostream& out) {
  out << "PartnerId,PartnerName,CustomerId,CustomerName,CustomerDomainName,CustomerCountry,"
         "MpnId,Tier2MpnId,InvoiceNumber,ProductId,SkuId,AvailabilityId,SkuName,ProductName,"
         "PublisherName,PublisherId,SubscriptionDescription,SubscriptionId,ChargeStartDate,"
         "ChargeEndDate,UsageDate,MeterType,MeterCategory,MeterId,MeterSubCategory,MeterName,"
         "MeterRegion,Unit,ResourceLocation,ConsumedService,ResourceGroup,ResourceURI,"
         "ChargeType,UnitPrice,Quantity,UnitType,BillingPreTaxTotal,BillingCurrency,"
         "PricingPreTaxTotal,PricingCurrency,ServiceInfo1,ServiceInfo2,Tags,AdditionalInfo,"
         "EffectiveUnitPrice,PCToBCExchangeRate,PCToBCExchangeRateDate,EntitlementId,"
         "EntitlementDescription,PartnerEarnedCreditPercentage,CreditPercentage,CreditType\r\n";
}

void WriteUsageCsvRow(std::ostream& out, const UsageLine& l) {
  const auto& s = *l.subscription;
  YearMonth month = YearMonth::Containing(l.usage_date);
  auto day = [](Timestamp t) { return FormatTimestamp(t).substr(0, 10); };
  std::string total = l.billing_pre_tax_total.ToString();
  const std::string fields[] = {
      std::string(kPartnerTenantId),
      "Contoso CSP",
      s.customer_id,
      s.customer_name,
      s.customer_domain,
      s.customer_country,
      "1234567",
      "",
      "",
      std::string(kAzurePlanProductId),
      std::string(kAzurePlanSkuId),
      std::string(kAzurePlanAvailabilityId),
      "Microsoft Azure plan",
      "Azure plan",
      "Microsoft",
      "",
      "Azure plan",
      s.plan_subscription_id,
      day(month.Start()),
      day(month.End()),
      day(l.usage_date),
      l.meter_name,
      l.meter_category,
      l.meter_id,
      l.meter_subcategory,
      l.meter_name,
      l.meter_region,
      l.unit,
      l.resource_location,
      l.consumed_service,
      l.resource_group,
      l.resource_uri,
      l.charge_type,
      l.unit_price.ToString(),
      l.quantity.ToString(),
      "",
      total,
      l.billing_currency,
      l.pricing_pre_tax_total.ToString(),
      "USD",
      "",
      "",
      l.tags,
      l.additional_info,
      l.effective_unit_price.ToString(),
      l.exchange_rate.ToString(),
      day(month.Start()),
      s.azure_subscription_id,
      "Azure subscription",
      std::to_string(l.partner_earned_credit_percentage),
      std::to_string(l.credit_percentage),
      l.credit_percentage ? "Azure Credit Applied" : "Credit Not Applied"};
  bool first = true;
  for (const auto& f : fields) {
    if (!first) out << ',';
    first = false;
    out << CsvField(f);
  }
  out << "\r\n";
}

int64_t GenerateUsageCsv(std::ostream& out, int64_t rows, int customers, uint64_t seed,
                         int resources) {
  SeededRandom ids(seed);
  std::vector<UsageSubscription> subs;
  for (int i = 0; i < std::max(customers, 1); ++i) {
    UsageSubscription s;
    s.customer_id = ids.Guid();
    s.customer_name = "Customer " + std::to_string(i + 1) + ", Inc.";
    s.customer_domain = "customer" + std::to_string(i + 1) + ".onmicrosoft.com";
    s.customer_country = "US";
    s.plan_subscription_id = ids.Guid();
    s.azure_subscription_id = ids.Guid();
    subs.push_back(std::move(s));
  }
  return GenerateUsageCsv(out, rows, subs, seed, resources, YearMonth::Of(2025, 1).value().Start(),
                          Timestamp::max());
}

int64_t GenerateUsageCsv(std::ostream& out, int64_t rows,
                         const std::vector<UsageSubscription>& subs, uint64_t seed, int resources,
                         Timestamp first_day, Timestamp until) {
  WriteUsageCsvHeader(out);
  Timestamp day = first_day;
  int64_t written = 0;
  while (written < rows && day < until && !subs.empty()) {
    for (const auto& s : subs) {
      for (const auto& line : DailyUsage(seed, s, day)) {
        for (int r = 0; r < std::max(resources, 1); ++r) {
          if (written >= rows) return written;
          if (r == 0) {
            WriteUsageCsvRow(out, line);
          } else {  // another resource on the same meter, with its own quantity
            UsageLine more = line;
            more.resource_uri += "-" + std::to_string(r);
            more.quantity = line.quantity.Add(Decimal::FromParts(r, 3).value()).value();
            more.billing_pre_tax_total = more.effective_unit_price.Mul(more.quantity)
                                             .value()
                                             .Mul(more.exchange_rate)
                                             .value()
                                             .Floor(2);
            more.pricing_pre_tax_total =
                more.effective_unit_price.Mul(more.quantity).value().Floor(2);
            WriteUsageCsvRow(out, more);
          }
          ++written;
        }
      }
    }
    day += std::chrono::hours(24);
  }
  return written;
}

}  // namespace pc::sandbox
