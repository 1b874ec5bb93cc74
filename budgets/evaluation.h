// Budget evaluation: a budget's figures for a month, read through the billing page's own
// functions (billing/charges.h: SummarizeMonth and its JSON, so an alert carries the page's
// month-to-date, forecast and as-of time to the cent), and the alerts they call for.
//
// Rules (README "Budgets"):
//   actual threshold p:    month-to-date × 100 >= amount × p
//   forecast threshold p:  forecast × 100 >= amount × p (forecast = the page's "forecast")
//   pace (when enabled):   month-to-date > amount × days elapsed ÷ days in month
//                          × (100 + tolerance) ÷ 100 (days elapsed through the latest usage day)
// Each alert is sent once per (budget, month, kind, percent, arming): an alert row is inserted
// with ON CONFLICT DO NOTHING and only the transaction that inserted it queues the emails (one
// per recipient, notify outbox) and the webhook event budget.threshold_crossed, in the same
// transaction. So a re-run, a second process or the same usage imported again never alerts twice,
// and a change of the budget's amount, thresholds or pace (a new arming) re-arms every alert.
// A budget is evaluated for the current month and, until that month is closed, the previous one
// if the budget existed before it ended (the last day's usage arrives a day late).
// Thread-safe (no state of its own); callers pass their transaction.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "billing/usage_import.h"
#include "budgets/budget.h"
#include "core/decimal.h"
#include "core/result.h"
#include "core/time.h"
#include "store/store.h"

namespace pc::budgets {

// A budget's figures for a month, as the billing page shows them (rounded to the currency's
// minor unit). Alias budgets: the page's mtd and forecast. Subscription budgets: the page's
// charge of that subscription (byAzureSubscription), and its forecast computed by the page's
// estimate (billing::ComputeEstimate) from that subscription's daily charges.
struct Figures {
  YearMonth month;
  std::string currency;
  int minor_unit = 2;
  Decimal actual;
  Decimal forecast;
  std::optional<std::string> as_of;  // end of the latest usage day; nullopt: no usage yet
  int days_elapsed = 0;
  int days_in_month = 0;
  std::optional<std::string> problem;  // why there are no figures (e.g. two currencies)
};

// The figures of `budget` in `month`. No usage yet gives zeros and no as_of; a month the page
// cannot sum (two currencies, another currency than the budget's) gives zeros and a `problem`.
// Errors: store errors only.
Result<Figures> BudgetFigures(store::Transaction& tx, const Budget& budget, YearMonth month);

// Exactly `places` fraction digits, rounded half-up once ("412.07", "500.00").
std::string FixedText(const Decimal& value, int places);
// "percent" of `amount` that `value` is, half-up to 2 decimals ("82.41").
std::string PercentOf(const Decimal& value, const Decimal& amount);

struct Alert {
  std::string id;
  std::string budget_id;
  std::string month;  // YYYY-MM
  std::string kind;   // actual | forecast | pace
  std::string percent;
  int64_t arming = 0;
  std::string amount;  // the figure that crossed: month-to-date, or forecast
  std::string budget_amount;
  std::string currency;
  std::string as_of;
  std::string sent_at;
  json::object detail;  // actual, forecast, percentActual, percentForecast, expected (pace)
};
json::object ToJson(const Alert& alert);

// The alerts of a budget, newest first.
Result<std::vector<Alert>> LoadAlerts(store::Transaction& tx, const std::string& budget_id);

// Evaluates one budget at `now` (see the rules above) and sends what is due. Returns the alerts
// sent by this call (none when they were sent before).
Result<std::vector<Alert>> EvaluateBudget(store::Transaction& tx, const Budget& budget,
                                          Timestamp now);
// Evaluates every budget of the aliases (every budget when empty).
Result<std::vector<Alert>> EvaluateAliases(store::Transaction& tx,
                                           const std::vector<std::string>& aliases,
                                           Timestamp now);
// What a usage import runs in its transaction (billing::ImportOptions::after_import): evaluates
// the budgets of the aliases whose charges it changed, so the alerts exist if and only if the
// usage does, within the import.
Status EvaluateAfterImport(store::Transaction& tx, const billing::ImportReport& report);
// The hourly evaluation (the recurring job "budget-evaluation"): every budget, one transaction
// per alias. Returns the alerts sent.
Result<int64_t> EvaluateAllBudgets(store::Database& db, Timestamp now);

}  // namespace pc::budgets
