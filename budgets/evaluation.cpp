#include "budgets/evaluation.h"

#include <spdlog/spdlog.h>

#include <map>
#include <set>

#include "billing/charges.h"
#include "billing/estimate.h"
#include "core/error_codes.h"
#include "core/money.h"
#include "core/uuid.h"

namespace pc::budgets {

namespace {

Decimal ParseOrZero(const json::value& v) {
  if (!v.is_string()) return Decimal();
  auto d = Decimal::Parse(v.as_string());
  return d.ok() ? *d : Decimal();
}

// Text of a percent without trailing fraction zeros ("80", "112.5"): the key of a threshold.
std::string PercentKey(const Decimal& d) {
  std::string s = d.ToString();
  if (s.find('.') == std::string::npos) return s;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

// The end of `day` (YYYY-MM-DD) as the billing page writes asOf.
std::optional<std::string> EndOfDay(const std::string& day) {
  auto start = ParseTimestamp(day + "T00:00:00Z");
  if (!start.ok()) return std::nullopt;
  return FormatTimestamp(*start + std::chrono::days(1));
}

// An alert due now, before it is recorded.
struct Crossing {
  std::string kind;
  Decimal percent;
  Decimal figure;
  std::string headline;  // what happened, for the email's subject
};

std::string Scope(const Budget& b) {
  return "billing alias " + b.alias +
         (b.azure_subscription_id ? ", Azure subscription " + *b.azure_subscription_id : "");
}

// Queues one email per recipient in the outbox, in `tx` (notify/outbox.h sends them).
Status QueueEmails(store::Transaction& tx, const Budget& b, const Alert& a,
                   const Crossing& crossing, const Figures& f) {
  std::string cur = " " + b.currency;
  std::string subject = "Budget alert: " + b.name + " (" + b.alias + ") " + crossing.headline;
  std::string body =
      "Budget \"" + b.name + "\" for " + Scope(b) + ", " + a.month + ":\n\n" +
      "Budget: " + a.budget_amount + cur + "\n" + "Month-to-date: " +
      FixedText(f.actual, f.minor_unit) + cur + " (" + PercentOf(f.actual, b.amount) +
      "% of the budget)\n" + "Forecast for the month: " + FixedText(f.forecast, f.minor_unit) +
      cur + " (" + PercentOf(f.forecast, b.amount) + "%)\n";
  if (a.kind == "pace") {
    body += "Expected by now at an even pace: " +
            std::string(a.detail.at("expected").as_string()) + cur + " (" +
            std::to_string(f.days_elapsed) + " of " + std::to_string(f.days_in_month) +
            " days), tolerance " + a.percent + "%\n";
  } else {
    body += "Threshold crossed: " + a.kind + " " + a.percent + "% of the budget\n";
  }
  body += "As of: " + a.as_of +
          " (the end of the latest day of usage Microsoft has rated)\n\n"
          "These are the figures of the Billing page for " +
          b.alias +
          ". You receive this email because you are a recipient of this budget; your "
          "organization's admins can change the budget or its recipients on the Billing page.\n";
  for (const auto& to : b.recipients) {
    PC_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO outbox_emails (id, to_address, subject, body, created_at) VALUES "
                   "(?, ?, ?, ?, ?)",
                   {Uuid::V7().ToString(), to, subject, body, a.sent_at}));
  }
  return {};
}

// The webhook event of an alert, in `tx`.
Status QueueEvent(store::Transaction& tx, const Budget& b, const Alert& a) {
  json::object data{{"budgetId", b.id},
                    {"budgetName", b.name},
                    {"alias", b.alias},
                    {"subscriptionId", b.azure_subscription_id
                                           ? json::value(*b.azure_subscription_id)
                                           : json::value(nullptr)},
                    {"alert", ToJson(a)}};
  // WEBHOOK (webhooks16): webhooks::EnqueueEvent(tx, b.organization_id,
  // "budget.threshold_crossed", "budget-alert:" + a.id, data) goes here once webhooks/events.h
  // is on this branch.
  (void)tx;
  (void)data;
  return {};
}

// Records the crossing as an alert unless this (budget, month, kind, percent, arming) alerted
// before; when it is new, queues its emails and webhook event. Returns the new alert or none.
Result<std::optional<Alert>> Record(store::Transaction& tx, const Budget& b, const Figures& f,
                                    const Crossing& c, Timestamp now) {
  Alert a;
  a.id = Uuid::V7().ToString();
  a.budget_id = b.id;
  a.month = f.month.ToString();
  a.kind = c.kind;
  a.percent = PercentKey(c.percent);
  a.arming = b.arming;
  a.amount = FixedText(c.figure, f.minor_unit);
  a.budget_amount = FixedText(b.amount, f.minor_unit);
  a.currency = b.currency;
  a.as_of = f.as_of.value_or("");
  a.sent_at = FormatTimestamp(now);
  a.detail = json::object{{"actual", FixedText(f.actual, f.minor_unit)},
                          {"forecast", FixedText(f.forecast, f.minor_unit)},
                          {"percentActual", PercentOf(f.actual, b.amount)},
                          {"percentForecast", PercentOf(f.forecast, b.amount)},
                          {"daysElapsed", f.days_elapsed},
                          {"daysInMonth", f.days_in_month}};
  if (c.kind == "pace") {
    PC_ASSIGN_OR_RETURN(Decimal share, b.amount.Mul(Decimal::FromInt(f.days_elapsed)));
    PC_ASSIGN_OR_RETURN(Decimal expected,
                        share.Div(Decimal::FromInt(f.days_in_month), f.minor_unit));
    a.detail["expected"] = FixedText(expected, f.minor_unit);
  }
  PC_ASSIGN_OR_RETURN(
      int64_t inserted,
      tx.Execute("INSERT INTO budget_alerts (id, budget_id, month, kind, percent, arming, amount, "
                 "budget_amount, currency, as_of, sent_at, detail) VALUES (?, ?, ?, ?, ?, ?, ?, "
                 "?, ?, ?, ?, ?) ON CONFLICT (budget_id, month, kind, percent, arming) DO NOTHING",
                 {a.id, a.budget_id, a.month, a.kind, a.percent, a.arming, a.amount,
                  a.budget_amount, a.currency, a.as_of, a.sent_at, pc::ToJson(a.detail)}));
  if (inserted == 0) return std::optional<Alert>();
  PC_RETURN_IF_ERROR(QueueEmails(tx, b, a, c, f));
  PC_RETURN_IF_ERROR(QueueEvent(tx, b, a));
  return std::optional<Alert>(std::move(a));
}

// What the figures cross (see the rules in evaluation.h), exactly: no division before comparing.
Result<std::vector<Crossing>> Crossings(const Budget& b, const Figures& f) {
  std::vector<Crossing> out;
  const Decimal hundred = Decimal::FromInt(100);
  PC_ASSIGN_OR_RETURN(Decimal actual100, f.actual.Mul(hundred));
  PC_ASSIGN_OR_RETURN(Decimal forecast100, f.forecast.Mul(hundred));
  std::string cur = " " + b.currency;
  for (const auto& t : b.thresholds) {
    PC_ASSIGN_OR_RETURN(Decimal limit, b.amount.Mul(t.percent));
    bool forecast = t.kind == ThresholdKind::kForecast;
    if ((forecast ? forecast100 : actual100) < limit) continue;
    const Decimal& figure = forecast ? f.forecast : f.actual;
    std::string p = PercentKey(t.percent);
    out.push_back({std::string(ThresholdKindName(t.kind)), t.percent, figure,
                   forecast ? "is forecast to reach " + p + "% of its budget (forecast " +
                                  FixedText(figure, f.minor_unit) + " of " +
                                  FixedText(b.amount, f.minor_unit) + cur + ")"
                            : "reached " + p + "% of its budget (" +
                                  FixedText(figure, f.minor_unit) + " of " +
                                  FixedText(b.amount, f.minor_unit) + cur + ")"});
  }
  if (b.pace.enabled && f.days_elapsed > 0 && f.days_in_month > 0) {
    // actual × days in month × 100 > amount × days elapsed × (100 + tolerance)
    PC_ASSIGN_OR_RETURN(Decimal left, actual100.Mul(Decimal::FromInt(f.days_in_month)));
    PC_ASSIGN_OR_RETURN(Decimal rate, hundred.Add(b.pace.tolerance_percent));
    PC_ASSIGN_OR_RETURN(Decimal share, b.amount.Mul(Decimal::FromInt(f.days_elapsed)));
    PC_ASSIGN_OR_RETURN(Decimal right, share.Mul(rate));
    if (left > right) {
      out.push_back({"pace", b.pace.tolerance_percent, f.actual,
                     "is spending ahead of pace (" + FixedText(f.actual, f.minor_unit) + cur +
                         " after " + std::to_string(f.days_elapsed) + " of " +
                         std::to_string(f.days_in_month) + " days)"});
    }
  }
  return out;
}

}  // namespace

std::string FixedText(const Decimal& value, int places) {
  auto r = value.Rescale(places);
  return r.ok() ? r->ToString() : value.RoundHalfUp(places).ToString();
}

std::string PercentOf(const Decimal& value, const Decimal& amount) {
  if (amount.IsZero()) return "0.00";
  auto scaled = value.Mul(Decimal::FromInt(100));
  if (!scaled.ok()) return "0.00";
  auto p = scaled->Div(amount, 2);
  return p.ok() ? FixedText(*p, 2) : "0.00";
}

json::object ToJson(const Alert& a) {
  json::object o{{"id", a.id},
                 {"month", a.month},
                 {"kind", a.kind},
                 {"percent", a.percent},
                 {"amount", a.amount},
                 {"budgetAmount", a.budget_amount},
                 {"currency", a.currency},
                 {"asOf", a.as_of},
                 {"sentAt", a.sent_at}};
  for (const auto& [k, v] : a.detail) o[k] = v;
  return o;
}

Result<Figures> BudgetFigures(store::Transaction& tx, const Budget& b, YearMonth month) {
  Figures f;
  f.month = month;
  f.currency = b.currency;
  auto currency = Currency::FromCode(b.currency);
  f.minor_unit = currency.ok() ? currency->minor_unit : 2;
  f.days_in_month = month.DaysInMonth();
  auto summary = billing::SummarizeMonth(tx, b.alias, month);
  if (!summary.ok()) {
    if (summary.error().code == ErrorCode::kNotFound) return f;  // NoUsageYet
    if (summary.error().code == ErrorCode::kFailedPrecondition) {
      f.problem = summary.error().message;
      return f;
    }
    return summary.error();
  }
  if (summary->currency != b.currency) {
    f.problem = "Billing alias " + b.alias + " has usage in " + summary->currency +
                " this month; this budget is in " + b.currency;
    return f;
  }
  // The billing page's own figures (GET /api/v1/billing/{alias}), as it shows them.
  json::object page = billing::ToJson(*summary);
  if (!b.azure_subscription_id) {
    f.actual = ParseOrZero(page.at("mtd"));
    f.forecast = ParseOrZero(page.at("forecast"));
    if (page.at("asOf").is_string() && !page.at("asOf").as_string().empty()) {
      f.as_of = std::string(page.at("asOf").as_string());
    }
    f.days_elapsed = summary->estimate.days_elapsed;
    return f;
  }
  // One subscription: the page's charge of it, and the page's estimate on its days.
  bool found = false;
  for (const auto& item : page.at("byAzureSubscription").as_array()) {
    const auto& o = item.as_object();
    if (o.at("azureSubscriptionId").as_string() == *b.azure_subscription_id) {
      f.actual = ParseOrZero(o.at("charge"));
      found = true;
    }
  }
  if (!found) return f;
  PC_ASSIGN_OR_RETURN(auto rows, billing::LoadPricedRollups(tx, b.alias, month));
  std::map<int, Decimal> by_day;
  std::string latest;
  for (const auto& r : rows) {
    if (r.azure_subscription_id != *b.azure_subscription_id) continue;
    int day = std::stoi(r.day.substr(8, 2));
    PC_ASSIGN_OR_RETURN(by_day[day], by_day[day].Add(r.charge));
    latest = std::max(latest, r.day);
  }
  if (by_day.empty()) return f;
  PC_ASSIGN_OR_RETURN(auto estimate, billing::ComputeEstimate(month, by_day, f.minor_unit));
  f.forecast = estimate.forecast;
  f.days_elapsed = estimate.days_elapsed;
  f.as_of = EndOfDay(latest);
  return f;
}

Result<std::vector<Alert>> LoadAlerts(store::Transaction& tx, const std::string& budget_id) {
  PC_ASSIGN_OR_RETURN(
      auto rows, tx.Query("SELECT id, budget_id, month, kind, percent, arming, amount, "
                          "budget_amount, currency, as_of, sent_at, detail FROM budget_alerts "
                          "WHERE budget_id = ? ORDER BY sent_at DESC, id DESC LIMIT 500",
                          {budget_id}));
  std::vector<Alert> out;
  for (const auto& r : rows) {
    Alert a{r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Int(5),
            r.Text(6), r.Text(7), r.Text(8), r.Text(9), r.Text(10), {}};
    auto detail = ParseJson(r.Text(11));
    if (detail.ok() && detail->is_object()) a.detail = detail->as_object();
    out.push_back(std::move(a));
  }
  return out;
}

Result<std::vector<Alert>> EvaluateBudget(store::Transaction& tx, const Budget& b,
                                          Timestamp now) {
  std::vector<Alert> sent;
  YearMonth current = YearMonth::Containing(now);
  std::vector<YearMonth> months{current};
  // The previous month until it is closed, for a budget that existed before it ended: its last
  // day's usage is rated after the month ends.
  if (b.created_at < FormatTimestamp(current.Start())) {
    PC_ASSIGN_OR_RETURN(auto closed, tx.Query("SELECT 1 FROM billing_closes WHERE month = ?",
                                              {current.Prev().ToString()}));
    if (closed.empty()) months.insert(months.begin(), current.Prev());
  }
  for (const auto& month : months) {
    PC_ASSIGN_OR_RETURN(Figures f, BudgetFigures(tx, b, month));
    if (!f.as_of) continue;  // no usage, or figures the page cannot give (f.problem)
    PC_ASSIGN_OR_RETURN(auto crossings, Crossings(b, f));
    for (const auto& c : crossings) {
      PC_ASSIGN_OR_RETURN(auto alert, Record(tx, b, f, c, now));
      if (alert) sent.push_back(std::move(*alert));
    }
  }
  return sent;
}

Result<std::vector<Alert>> EvaluateAliases(store::Transaction& tx,
                                           const std::vector<std::string>& aliases,
                                           Timestamp now) {
  PC_ASSIGN_OR_RETURN(auto budgets, LoadBudgets(tx, aliases));
  std::vector<Alert> sent;
  for (const auto& b : budgets) {
    PC_ASSIGN_OR_RETURN(auto alerts, EvaluateBudget(tx, b, now));
    for (auto& a : alerts) sent.push_back(std::move(a));
  }
  return sent;
}

Status EvaluateAfterImport(store::Transaction& tx, const billing::ImportReport& report) {
  if (report.billing_aliases.empty()) return {};
  PC_ASSIGN_OR_RETURN(auto sent, EvaluateAliases(tx, report.billing_aliases, Now()));
  for (const auto& a : sent) {
    spdlog::info("budgets: alert {} {}% for budget {} ({})", a.kind, a.percent, a.budget_id,
                 a.month);
  }
  return {};
}

Result<int64_t> EvaluateAllBudgets(store::Database& db, Timestamp now) {
  PC_ASSIGN_OR_RETURN(auto aliases,
                      db.InTransaction<store::Rows>([](store::Transaction& tx) {
                        return tx.Query(
                            "SELECT DISTINCT billing_alias FROM budgets ORDER BY billing_alias");
                      }));
  int64_t sent = 0;
  for (const auto& row : aliases) {
    std::vector<std::string> one{row.Text(0)};
    PC_ASSIGN_OR_RETURN(auto alerts,
                        db.InTransaction<std::vector<Alert>>([&](store::Transaction& tx) {
                          return EvaluateAliases(tx, one, now);
                        }));
    sent += static_cast<int64_t>(alerts.size());
  }
  return sent;
}

}  // namespace pc::budgets
