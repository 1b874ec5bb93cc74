// A month of an alias's charges as a FOCUS 1.2 dataset (FinOps Open Cost and Usage
// Specification): one CSV row per (day, Azure subscription, meter category) of the rollups, the
// customer's price as BilledCost, plus the FOCUS metadata document describing its columns.
//
// Which columns, types and null rules, and where each rule comes from, is in focus_export.cpp
// (kColumns). In short: every column the FOCUS 1.2 specification marks Mandatory, plus the
// conditional/recommended ones the data has (SubAccountId, ChargeFrequency) and partner
// columns prefixed x_. Nulls are empty cells (RFC 4180 CSV through CsvWriter, CRLF).
//
// Money: BilledCost = EffectiveCost = ContractedCost = the customer's charge (pricing rules
// applied) rounded by the one allocation (allocation.h) per currency, so BilledCost is, row by
// row, the BilledCharge of detail.csv and sums to the month's invoice line (or month-to-date)
// to the cent. ListCost is the list-price charge (UnitPrice × Quantity, before the partner's
// pricing rule), rounded by the same allocation. The partner's own cost (what Microsoft bills
// the partner) is never exported.
// Thread-safe (no state of its own).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "billing/charges.h"
#include "core/json.h"
#include "core/result.h"
#include "core/time.h"
#include "identity/identity.h"
#include "store/store.h"

namespace pc::billing {

// The FOCUS version the export follows and the id of its column set (changes when the columns
// change, as the FOCUS metadata "Schema" section requires).
inline constexpr std::string_view kFocusVersion = "1.2";
inline constexpr std::string_view kFocusSchemaId = "partnercloud-focus-1.2-r1";

enum class FocusType { kString, kDecimal, kDateTime };

// One column of the export, in file order.
struct FocusColumn {
  std::string_view name;
  FocusType type;
  std::string_view level;  // "Mandatory", "Conditional", "Recommended" (FOCUS), "Custom" (x_)
  bool nullable;           // may the cell be empty
};
const std::vector<FocusColumn>& FocusColumns();
// "STRING", "DECIMAL", "DATETIME": the FOCUS metadata DataType names.
std::string_view FocusTypeName(FocusType type);

// What the export says about who issues the invoice.
struct FocusOptions {
  std::string invoice_issuer = "Contoso CSP";  // InvoiceIssuerName: the partner (partner.name)
};

// The FOCUS ServiceCategory of an Azure meter category ("Virtual Machines" -> "Compute"); one of
// the specification's allowed values, "Other" for a category it does not know.
std::string_view ServiceCategoryOf(std::string_view meter_category);

// The dataset of `rows` (LoadPricedRollups of `alias` and `month`). `account_name` is the
// BillingAccountName ("" = null). OutOfRange on overflow.
Result<std::string> FocusCsv(const std::vector<PricedRollup>& rows, const std::string& alias,
                             const std::string& account_name, YearMonth month,
                             const FocusOptions& options);

// The alias's FOCUS CSV of `month` for `who` (CheckAliasAccess first: NotFound for an alias
// `who` may not read). A month without usage is the header alone.
Result<std::string> AliasFocusCsv(store::Database& db, const identity::Principal& who,
                                  const std::string& alias, YearMonth month,
                                  const FocusOptions& options);

// The FOCUS metadata document of that export: {"DataGenerator", "Schema": {"SchemaId",
// "FocusVersion", "CreationDate", "ColumnDefinition": [{"ColumnName", "DataType", ...}]},
// "Dataset": {"BillingAccountId", "BillingPeriodStart", "BillingPeriodEnd", "FileName"}}.
json::object FocusMetadata(const std::string& alias, YearMonth month, const FocusOptions& options);
// The same for `who` (CheckAliasAccess first).
Result<json::object> AliasFocusMetadata(store::Database& db, const identity::Principal& who,
                                        const std::string& alias, YearMonth month,
                                        const FocusOptions& options);

// The file name the export is downloaded as: "ACME-2026-11-focus.csv".
std::string FocusFileName(const std::string& alias, YearMonth month);

}  // namespace pc::billing
