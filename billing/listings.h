// Read-only listings for the web UI and operators: the billing aliases a user may see, the
// invoice lines of month closes, usage import records and usage kept aside. Each function
// decides who may read it. Thread-safe (no state of its own).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "billing/month_close.h"
#include "core/decimal.h"
#include "core/json.h"
#include "core/result.h"
#include "core/time.h"
#include "identity/identity.h"
#include "store/store.h"

namespace pc::billing {

struct AliasEntry {
  std::string billing_alias;
  std::string organization_id;
  std::string organization_name;
  std::string company_name;
  int64_t provider_count = 0;  // providers not deleted
};

// Customers: their organization's aliases; the partner's staff: all. Ordered by alias.
Result<std::vector<AliasEntry>> ListBillingAliases(store::Database& db,
                                                   const identity::Principal& who);

// Invoice lines recorded by month closes (posted or still intents), of `month` when given,
// else every close, newest first. Operators only (PermissionDenied).
Result<std::vector<InvoiceLine>> ListClosedLines(store::Database& db,
                                                 const identity::Principal& who,
                                                 std::optional<YearMonth> month);

struct ImportRecord {
  std::string import_id;
  std::string file_name;
  std::string format;
  std::string digest;
  int64_t rows_imported = 0, rows_rejected = 0, rows_unknown = 0, rows_duplicate = 0;
  json::array rejections;  // the first 100: {line, column, reason, message}
  std::string created_at;
  std::optional<std::string> created_by;  // email; none for the CLI and the usage pull
  std::string mode;                       // "additive" or "snapshot"
  std::string source;                     // snapshot mode: whose snapshot ("" otherwise)
};

// Usage imports, newest first, at most `limit` (1..500). Operators only.
Result<std::vector<ImportRecord>> ListUsageImports(store::Database& db,
                                                   const identity::Principal& who, int64_t limit);

struct KeptAside {
  std::string customer_id;
  std::string subscription_id;
  std::string month;  // YYYY-MM
  std::string currency;
  Decimal amount;    // list-price charge, exact
  Decimal quantity;  // exact
  int64_t lines = 0;
  std::vector<std::string> meter_categories;
};

// Usage kept aside (Azure subscriptions or customers the platform does not know), summed per
// customer, subscription, month and currency; newest month first. Operators only.
Result<std::vector<KeptAside>> ListKeptAsideUsage(store::Database& db,
                                                  const identity::Principal& who);

json::object ToJson(const AliasEntry& entry);
json::object ToJson(const ImportRecord& record);
json::object ToJson(const KeptAside& kept);

}  // namespace pc::billing
