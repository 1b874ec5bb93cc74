// Budgets: an organization's monthly spending limit for one billing alias (or one Azure
// subscription billed to it), with thresholds in percent of the amount on actual or forecast
// spend, a pace alert and the people to tell. Who may do what is decided here, not in the
// handlers: organization admins manage their organization's budgets, organization members read
// them, the partner's staff read all and operators manage all; another organization's budget is
// NotFound (never disclosed). Every change is audited in its transaction and evaluated at once
// (budgets/evaluation.h), so a budget created or lowered below what was already spent alerts.
// Thread-safe (no state of its own).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/decimal.h"
#include "core/json.h"
#include "core/result.h"
#include "core/time.h"
#include "identity/identity.h"
#include "store/store.h"

namespace pc::budgets {

enum class ThresholdKind { kActual, kForecast };
std::string_view ThresholdKindName(ThresholdKind kind);  // "actual", "forecast"

struct Threshold {
  Decimal percent;  // of the budget's amount, 0 < percent <= 1000, at most 2 decimals
  ThresholdKind kind = ThresholdKind::kActual;
};

// Month-to-date above the budget's share of the month elapsed by more than the tolerance:
// actual > amount × days elapsed ÷ days in month × (100 + tolerance) ÷ 100, the days elapsed
// counted through the latest usage day, as the billing page's estimate counts them.
struct Pace {
  bool enabled = false;
  Decimal tolerance_percent = Decimal::FromInt(10);  // 0..1000, at most 2 decimals
};

struct Budget {
  std::string id;
  std::string organization_id;
  std::string alias;
  std::optional<std::string> azure_subscription_id;  // nullopt: the whole alias
  std::string name;
  Decimal amount;        // > 0, at most the currency's minor-unit decimals
  std::string currency;  // the alias's billing currency
  std::vector<Threshold> thresholds;
  Pace pace;
  std::vector<std::string> recipients;  // email addresses
  int64_t arming = 1;  // bumped when amount, thresholds or pace change: alerts re-armed
  std::string created_at;
  std::string created_by;
  std::string updated_at;
};

// A change to a budget (PATCH): absent fields stay as they are. The scope (alias, subscription)
// and currency never change; create another budget instead.
struct BudgetChanges {
  std::optional<std::string> name;
  std::optional<Decimal> amount;
  std::optional<std::vector<Threshold>> thresholds;
  std::optional<Pace> pace;
  std::optional<std::vector<std::string>> recipients;
};

// The POST body: {"alias","subscriptionId"?,"name","amount":"500.00","currency"?,
// "thresholds":[{"percent":"80","kind":"actual"}],"pace"?:{"enabled","tolerancePercent"},
// "recipients"?:[...]}. Money and percents are decimal strings (JSON numbers would pass through
// binary floating point). Errors: InvalidArgument naming the field and what is allowed.
Result<Budget> BudgetFromJson(const json::object& body);
// The PATCH body: any of name, amount, thresholds, pace, recipients; alias, subscriptionId and
// currency are refused (InvalidArgument). Errors as BudgetFromJson.
Result<BudgetChanges> BudgetChangesFromJson(const json::object& body);

// Creates a budget for `who`'s organization (operators: for the organization owning the
// alias), audited, and evaluates it at once. Errors: PermissionDenied for members and support
// agents; NotFound for an alias of another organization; InvalidArgument for a subscription not
// billed to the alias or a currency other than the alias's; store errors.
Result<Budget> CreateBudget(store::Database& db, const identity::Principal& who, Budget budget);
// The budgets `who` may read, optionally of one alias, by alias then name.
Result<std::vector<Budget>> ListBudgets(store::Database& db, const identity::Principal& who,
                                        const std::optional<std::string>& alias);
// One budget; NotFound when it does not exist or `who` may not read it.
Result<Budget> GetBudget(store::Database& db, const identity::Principal& who,
                         std::string_view id);
// Applies `changes`, audited; a new amount, thresholds or pace re-arm every alert, and the
// budget is evaluated at once. Errors as CreateBudget and GetBudget.
Result<Budget> UpdateBudget(store::Database& db, const identity::Principal& who,
                            std::string_view id, const BudgetChanges& changes);
// Deletes a budget and its alert history, audited. Errors as UpdateBudget.
Status DeleteBudget(store::Database& db, const identity::Principal& who, std::string_view id);

// Reads budgets inside a transaction, no authorization (for evaluation): those of the aliases
// given, or every budget when `aliases` is empty.
Result<std::vector<Budget>> LoadBudgets(store::Transaction& tx,
                                        const std::vector<std::string>& aliases);

// The Budget of the API contract: its fields, "status" (the current month's figures, as the
// billing page shows them) and "alerts" (newest first), read in `tx` at `now`.
Result<json::object> BudgetJson(store::Transaction& tx, const Budget& budget, Timestamp now);
// The same in a transaction of its own.
Result<json::object> BudgetJson(store::Database& db, const Budget& budget, Timestamp now);

}  // namespace pc::budgets
