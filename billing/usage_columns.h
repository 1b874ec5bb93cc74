// The columns of the usage formats and how one record's values become a row (internal to the
// usage readers; their contract is usage_reader.h): the column sets, the checks of each value
// (bounds, dates, currencies) and the line identity (line_identity.h) of the row.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "billing/line_identity.h"
#include "billing/usage_reader.h"

namespace pc::billing::internal {

struct ColumnSpec {
  const char* name;   // canonical spelling, used in messages
  const char* alias;  // camelCase alternative in JSON ("" if none)
  bool required;      // the header (or JSON object) must have it
};

// Partner Center daily rated usage, CSV and JSON lines. Every column is part of the line key
// except names and descriptions, InvoiceNumber (the same line is first unbilled, then billed)
// and the Benefit* columns.
enum PcColumn {
  kPcCustomerId,
  kPcEntitlementId,
  kPcMeterCategory,
  kPcUsageDate,
  kPcUnitPrice,
  kPcQuantity,
  kPcBillingPreTaxTotal,
  kPcBillingCurrency,
  kPcPricingCurrency,
  kPcSubscriptionId,
  kPcChargeStartDate,
  kPcChargeEndDate,
  kPcMeterId,
  kPcMeterSubCategory,
  kPcMeterName,
  kPcMeterRegion,
  kPcMeterType,
  kPcUnit,
  kPcResourceLocation,
  kPcConsumedService,
  kPcResourceGroup,
  kPcResourceUri,
  kPcChargeType,
  kPcUnitType,
  kPcTags,
  kPcAdditionalInfo,
  kPcServiceInfo1,
  kPcServiceInfo2,
  kPcProductId,
  kPcSkuId,
  kPcAvailabilityId,
  kPcEffectiveUnitPrice,
  kPcExchangeRate,
  kPcPartnerEarnedCredit,
  kPcCreditPercentage,
  kPcCreditType,
  kPcPricingPreTaxTotal,
  kPcColumnCount
};
inline constexpr std::array<ColumnSpec, kPcColumnCount> kPcColumns = {{
    {"CustomerId", "", true},
    {"EntitlementId", "", true},
    {"MeterCategory", "", false},
    {"UsageDate", "", true},
    {"UnitPrice", "", true},
    {"Quantity", "", true},
    {"BillingPreTaxTotal", "", true},
    {"BillingCurrency", "", true},
    {"PricingCurrency", "", false},
    {"SubscriptionId", "", false},
    {"ChargeStartDate", "", false},
    {"ChargeEndDate", "", false},
    {"MeterId", "", false},
    {"MeterSubCategory", "", false},
    {"MeterName", "", false},
    {"MeterRegion", "", false},
    {"MeterType", "", false},
    {"Unit", "unitOfMeasure", false},
    {"ResourceLocation", "", false},
    {"ConsumedService", "", false},
    {"ResourceGroup", "", false},
    {"ResourceURI", "", false},
    {"ChargeType", "", false},
    {"UnitType", "", false},
    {"Tags", "", false},
    {"AdditionalInfo", "", false},
    {"ServiceInfo1", "", false},
    {"ServiceInfo2", "", false},
    {"ProductId", "", false},
    {"SkuId", "", false},
    {"AvailabilityId", "", false},
    {"EffectiveUnitPrice", "", false},
    {"PCToBCExchangeRate", "", false},
    {"PartnerEarnedCreditPercentage", "rateOfPartnerEarnedCredit", false},
    {"CreditPercentage", "rateOfCredit", false},
    {"CreditType", "", false},
    {"PricingPreTaxTotal", "", false},
}};

enum FocusColumn {
  kFoBilledCost,
  kFoChargePeriodStart,
  kFoSubAccountId,
  kFoListCost,
  kFoPricingQuantity,
  kFoBillingCurrency,
  kFoServiceName,
  kFoListUnitPrice,
  kFoCustomerId,
  kFoMeterCategory,
  kFoChargePeriodEnd,
  kFoChargeCategory,
  kFoChargeClass,
  kFoChargeDescription,
  kFoResourceId,
  kFoSkuId,
  kFoSkuPriceId,
  kFoSkuMeterId,
  kFoRegionId,
  kFoTags,
  kFoBillingAccountId,
  kFoConsumedQuantity,
  kFoId,
  kFoEffectiveCost,
  kFoColumnCount
};
inline constexpr std::array<ColumnSpec, kFoColumnCount> kFocusColumns = {{
    {"BilledCost", "", true},
    {"ChargePeriodStart", "", true},
    {"SubAccountId", "", true},
    {"ListCost", "", true},
    {"PricingQuantity", "", true},
    {"BillingCurrency", "", true},
    {"ServiceName", "", true},
    {"ListUnitPrice", "", false},
    {"x_CustomerId", "", false},
    {"x_SkuMeterCategory", "", false},
    {"ChargePeriodEnd", "", false},
    {"ChargeCategory", "", false},
    {"ChargeClass", "", false},
    {"ChargeDescription", "", false},
    {"ResourceId", "", false},
    {"SkuId", "", false},
    {"SkuPriceId", "", false},
    {"x_SkuMeterId", "", false},
    {"RegionId", "", false},
    {"Tags", "", false},
    {"BillingAccountId", "", false},
    {"ConsumedQuantity", "", false},
    {"Id", "", false},
    {"EffectiveCost", "", false},
}};

// One row's values aligned with a column list. A column the file does not have (or a JSON
// null) is a view with no data (nullptr); an empty field is an empty view with data.
using RowView = std::vector<std::string_view>;
inline bool Present(std::string_view v) { return v.data() != nullptr; }

// The checks of a row that depend on the file's options.
struct RowRules {
  int32_t min_day = 20000101;  // yyyymmdd, inclusive
  int32_t max_day = 99991231;
};

// Where a row's problems go: the sink, with the file and line.
struct RowContext {
  const std::string& file;
  int64_t line;
  UsageSink& sink;
  int errors = 0;
  void Error(std::string column, std::string reason) {
    ++errors;
    sink.Reject({file, line, std::move(column), std::move(reason)});
  }
};

// Buffers for the values a row needs rewritten (case) or unescaped; reused row after row.
struct RowScratch {
  std::string customer, subscription, currency, stripped, canonical;
};

// The row of a Partner Center record (`json`: from JSON lines, where numbers may have an
// exponent), or false (its problems reported to ctx) when it is bad. `may_have_cr`: some value
// may hold a '\r' (see the line identity).
bool MapPartnerCenter(RowContext& ctx, const LineIdentityKey& key, const RowRules& rules,
                      const RowView& v, bool json, bool may_have_cr, RowScratch& s,
                      UsageRowView& row);

// The row of a FOCUS record, or false (its problems reported) when it is bad.
bool MapFocus(RowContext& ctx, const LineIdentityKey& key, const RowRules& rules, const RowView& v,
              bool may_have_cr, RowScratch& s, UsageRowView& row);

}  // namespace pc::billing::internal
