#include "billing/month_close.h"

#include <map>
#include <set>

#include "billing/charges.h"
#include "billing/usage_import.h"
#include "core/money.h"
#include "webhooks/events.h"

namespace pc::billing {

namespace {

// How far before a month's close a rollup change is still looked at for reconciliation: an
// import that took its timestamp before the close may commit after it.
constexpr auto kReconcileMargin = std::chrono::hours(24);

constexpr std::string_view kLineColumns =
    "idempotency_key, billing_alias, invoice_month, usage_month, kind, description, currency, "
    "amount, state, created_at, posted_at";

InvoiceLine LineFromRow(const store::Row& r) {
  InvoiceLine l{r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4),   r.Text(5),
                r.Text(6), r.Text(7), r.Text(8), r.Text(9), std::nullopt};
  if (!r.IsNull(10)) l.posted_at = r.Text(10);
  return l;
}

int MinorUnit(const std::string& currency) {
  auto c = Currency::FromCode(currency);
  return c.ok() ? c->minor_unit : 2;
}

// `v` rounded once, half-up, with exactly the currency's minor-unit places.
Decimal ToMinorUnit(const Decimal& v, const std::string& currency) {
  return Money(v, Currency{currency, MinorUnit(currency)}).RoundToMinorUnit().amount();
}

// The month's exact charges of `alias` per currency.
Result<std::map<std::string, Decimal>> TotalsByCurrency(store::Transaction& tx,
                                                        const std::string& alias, YearMonth month) {
  PC_ASSIGN_OR_RETURN(auto rows, LoadPricedRollups(tx, alias, month));
  std::map<std::string, Decimal> totals;
  for (const auto& r : rows) {
    PC_ASSIGN_OR_RETURN(totals[r.currency], totals[r.currency].Add(r.charge));
  }
  return totals;
}

std::vector<store::Param> MonthRange(YearMonth m) {
  return {m.ToString() + "-01", m.Next().ToString() + "-01"};
}

bool MayClose(const identity::Principal& who) {
  return who.via == identity::Principal::Via::kSystem || who.user.role == identity::Role::kOperator;
}

// Records the lines of closing `month`, or nothing if the month was closed before.
Result<std::vector<InvoiceLine>> RecordClose(store::Transaction& tx, const identity::Principal& who,
                                             YearMonth month, bool& already_closed,
                                             std::vector<std::string>& warnings) {
  PC_RETURN_IF_ERROR(LockBillingCloses(tx));
  const std::string now = FormatTimestamp(Now());
  const std::string by = who.via == identity::Principal::Via::kSystem ? "system" : who.user.email;
  PC_ASSIGN_OR_RETURN(int64_t claimed,
                      tx.Execute("INSERT INTO billing_closes (month, closed_at, closed_by) "
                                 "VALUES (?, ?, ?) ON CONFLICT (month) DO NOTHING",
                                 {month.ToString(), now, by}));
  std::vector<InvoiceLine> lines;
  if (claimed == 0) {
    already_closed = true;
    return lines;
  }
  // Usage kept aside whose subscription became known is billed by this close (issue 17 item 2).
  PC_RETURN_IF_ERROR(AttributeKeptAside(tx));
  auto line = [&](const std::string& alias, const std::string& kind, YearMonth usage_month,
                  const std::string& currency, const Decimal& amount) {
    std::string key = alias + ":" + month.ToString() + ":" + kind;
    if (kind == "update") key += ":" + usage_month.ToString();
    key += ":" + currency;
    lines.push_back(
        InvoiceLine{key, alias, month.ToString(), usage_month.ToString(), kind,
                    std::string(kind == "usage" ? kUsageLineDescription : kUpdateLineDescription),
                    currency, amount.ToString(), "intent", now, std::nullopt});
  };

  // This month's usage: one line per alias (and currency).
  PC_ASSIGN_OR_RETURN(auto aliases,
                      tx.Query("SELECT DISTINCT billing_alias FROM usage_rollups WHERE "
                               "usage_day >= ? AND usage_day < ? ORDER BY billing_alias",
                               MonthRange(month)));
  for (const auto& a : aliases) {
    PC_ASSIGN_OR_RETURN(auto totals, TotalsByCurrency(tx, a.Text(0), month));
    PC_ASSIGN_OR_RETURN(std::string alias_currency, AliasCurrency(tx, a.Text(0)));
    for (const auto& [currency, total] : totals) {  // its own line, and the operator is told
      if (!alias_currency.empty() && currency != alias_currency) {
        warnings.push_back(ForeignCurrencyMessage(a.Text(0), alias_currency, currency, month) +
                           " (a separate invoice line in " + currency + " was recorded)");
      }
    }
    if (totals.size() > 1) {  // never summed: one line per currency, and the operator is told
      std::string names;
      for (const auto& [currency, total] : totals) names += (names.empty() ? "" : ", ") + currency;
      warnings.push_back("Billing alias " + a.Text(0) + " has usage in several currencies (" +
                         names + ") in " + month.ToString() +
                         "; one invoice line per currency was recorded: check the alias's "
                         "CenturyLink Cloud account currency");
    }
    for (const auto& [currency, total] : totals) {
      line(a.Text(0), "usage", month, currency, ToMinorUnit(total, currency));
    }
  }

  // Usage of earlier closed months that changed after their close: the difference between
  // the month's total now and what its lines billed.
  PC_ASSIGN_OR_RETURN(auto closed, tx.Query("SELECT month, closed_at FROM billing_closes WHERE "
                                            "month < ? ORDER BY month",
                                            {month.ToString()}));
  for (const auto& c : closed) {
    auto previous = YearMonth::Parse(c.Text(0));
    auto closed_at = ParseTimestamp(c.Text(1));
    if (!previous.ok() || !closed_at.ok()) return Internal("a billing_closes row is malformed");
    auto params = MonthRange(*previous);
    params.emplace_back(FormatTimestamp(*closed_at - kReconcileMargin));
    PC_ASSIGN_OR_RETURN(auto changed,
                        tx.Query("SELECT DISTINCT billing_alias FROM usage_rollups WHERE "
                                 "usage_day >= ? AND usage_day < ? AND updated_at > ? "
                                 "ORDER BY billing_alias",
                                 params));
    for (const auto& a : changed) {
      const std::string alias = a.Text(0);
      PC_ASSIGN_OR_RETURN(auto totals, TotalsByCurrency(tx, alias, *previous));
      PC_ASSIGN_OR_RETURN(auto billed_rows,
                          tx.Query("SELECT currency, amount FROM invoice_lines WHERE "
                                   "billing_alias = ? AND usage_month = ?",
                                   {alias, previous->ToString()}));
      std::map<std::string, Decimal> billed;
      for (const auto& b : billed_rows) {
        auto amount = Decimal::Parse(b.Text(1));
        if (!amount.ok()) return Internal("an invoice line amount is not a decimal");
        PC_ASSIGN_OR_RETURN(billed[b.Text(0)], billed[b.Text(0)].Add(*amount));
      }
      std::set<std::string> currencies;
      for (const auto& [cur, v] : totals) currencies.insert(cur);
      for (const auto& [cur, v] : billed) currencies.insert(cur);
      for (const auto& cur : currencies) {
        PC_ASSIGN_OR_RETURN(Decimal diff, ToMinorUnit(totals[cur], cur).Sub(billed[cur]));
        if (!diff.IsZero()) line(alias, "update", *previous, cur, ToMinorUnit(diff, cur));
      }
    }
  }

  for (const auto& l : lines) {
    PC_RETURN_IF_ERROR(tx.Execute("INSERT INTO invoice_lines (" + std::string(kLineColumns) +
                                      ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                                  {l.key, l.billing_alias, l.invoice_month, l.usage_month, l.kind,
                                   l.description, l.currency, l.amount, l.state, l.created_at}));
  }
  PC_RETURN_IF_ERROR(identity::IdentityService::Audit(
      tx, who, std::nullopt, "billing.close", "billing_month", month.ToString(),
      json::object{{"lines", static_cast<int64_t>(lines.size())},
                   {"warnings", static_cast<int64_t>(warnings.size())}}));
  return lines;
}

}  // namespace

Status LockBillingCloses(store::Transaction& tx) {
  if (tx.dialect() != store::Dialect::kPostgres) return {};  // BEGIN IMMEDIATE serializes
  PC_RETURN_IF_ERROR(tx.Execute("LOCK TABLE billing_closes IN SHARE ROW EXCLUSIVE MODE"));
  return {};
}

Result<CloseReport> CloseMonth(store::Database& db, const identity::Principal& who, YearMonth month,
                               Timestamp now, const LinePoster& post) {
  if (!MayClose(who)) return PermissionDenied("Only operators may close a month");
  if (now < month.End()) {
    return FailedPrecondition("The month " + month.ToString() +
                              " has not ended; it can be closed from " +
                              FormatTimestamp(month.End()));
  }
  CloseReport report;
  report.month = month.ToString();
  bool already_closed = false;
  PC_ASSIGN_OR_RETURN(report.created,
                      db.InTransaction<std::vector<InvoiceLine>>([&](store::Transaction& tx) {
                        already_closed = false;
                        report.warnings.clear();
                        return RecordClose(tx, who, month, already_closed, report.warnings);
                      }));
  report.already_closed = already_closed;
  PC_ASSIGN_OR_RETURN(report.posted, PostPendingLines(db, post, report.failures));
  return report;
}

Result<int64_t> PostPendingLines(store::Database& db, const LinePoster& post,
                                 std::vector<std::string>& failures) {
  PC_ASSIGN_OR_RETURN(auto rows, db.InTransaction<store::Rows>([](store::Transaction& tx) {
    return tx.Query("SELECT " + std::string(kLineColumns) +
                    " FROM invoice_lines WHERE state = 'intent' ORDER BY created_at, "
                    "idempotency_key");
  }));
  int64_t posted = 0;
  for (const auto& r : rows) {
    InvoiceLine line = LineFromRow(r);
    if (Status sent = post ? post(line) : Status(Unavailable("no invoice sink is configured"));
        !sent.ok()) {
      failures.push_back(line.key + ": " + sent.error().message);
      continue;
    }
    PC_ASSIGN_OR_RETURN(
        int64_t marked, db.InTransaction<int64_t>([&](store::Transaction& tx) -> Result<int64_t> {
          std::string now = FormatTimestamp(Now());
          PC_ASSIGN_OR_RETURN(int64_t changed,
                              tx.Execute("UPDATE invoice_lines SET state = 'posted', posted_at = "
                                         "? WHERE idempotency_key = ? AND state = 'intent'",
                                         {now, line.key}));
          if (changed > 0) {
            // invoice.line_posted for the alias's organization, with the posted line.
            PC_ASSIGN_OR_RETURN(
                store::Rows org,
                tx.Query("SELECT organization_id FROM billing_aliases WHERE alias = ?",
                         {line.billing_alias}));
            if (!org.empty()) {
              InvoiceLine posted = line;
              posted.state = "posted";
              posted.posted_at = now;
              PC_RETURN_IF_ERROR(
                  webhooks::EnqueueEvent(tx, org[0].Text("organization_id"), "invoice.line_posted",
                                         "invoice-line:" + line.key, ToJson(posted)));
            }
          }
          return changed;
        }));
    posted += marked;
  }
  return posted;
}

Result<std::vector<YearMonth>> MonthsToClose(store::Database& db, Timestamp now,
                                             std::chrono::seconds grace) {
  const YearMonth open = YearMonth::Containing(now - grace);  // months before it have ended
  std::set<YearMonth> candidates{open.Prev()};
  PC_ASSIGN_OR_RETURN(auto rows, db.InTransaction<store::Rows>([&](store::Transaction& tx) {
    return tx.Query(
        "SELECT DISTINCT substr(usage_day, 1, 7) FROM usage_rollups WHERE "
        "usage_day < ?",
        {open.ToString() + "-01"});
  }));
  for (const auto& r : rows) {
    if (auto m = YearMonth::Parse(r.Text(0)); m.ok()) candidates.insert(*m);
  }
  PC_ASSIGN_OR_RETURN(auto closed, db.InTransaction<store::Rows>([](store::Transaction& tx) {
    return tx.Query("SELECT month FROM billing_closes");
  }));
  for (const auto& r : closed) {
    if (auto m = YearMonth::Parse(r.Text(0)); m.ok()) candidates.erase(*m);
  }
  return std::vector<YearMonth>(candidates.begin(), candidates.end());
}

Result<std::vector<InvoiceLine>> ListInvoiceLines(store::Transaction& tx,
                                                  const std::string& alias) {
  PC_ASSIGN_OR_RETURN(auto rows,
                      tx.Query("SELECT " + std::string(kLineColumns) +
                                   " FROM invoice_lines WHERE billing_alias = ? ORDER BY "
                                   "invoice_month DESC, kind, usage_month DESC, "
                                   "currency",
                               {alias}));
  std::vector<InvoiceLine> out;
  for (const auto& r : rows) out.push_back(LineFromRow(r));
  return out;
}

Result<std::vector<InvoiceLine>> AliasInvoiceLines(store::Database& db,
                                                   const identity::Principal& who,
                                                   const std::string& alias) {
  return db.InTransaction<std::vector<InvoiceLine>>(
      [&](store::Transaction& tx) -> Result<std::vector<InvoiceLine>> {
        PC_RETURN_IF_ERROR(CheckAliasAccess(tx, who, alias));
        return ListInvoiceLines(tx, alias);
      });
}

json::object ToJson(const InvoiceLine& l) {
  json::object out{{"key", l.key},
                   {"billingAlias", l.billing_alias},
                   {"invoiceMonth", l.invoice_month},
                   {"usageMonth", l.usage_month},
                   {"kind", l.kind},
                   {"description", l.description},
                   {"currency", l.currency},
                   {"amount", l.amount},
                   {"state", l.state},
                   {"createdAt", l.created_at},
                   {"postedAt", nullptr}};
  if (l.posted_at) out["postedAt"] = *l.posted_at;
  return out;
}

json::object ToJson(const CloseReport& r) {
  json::array created, failures;
  for (const auto& l : r.created) created.push_back(ToJson(l));
  for (const auto& f : r.failures) failures.push_back(json::string(f));
  json::array warnings;
  for (const auto& w : r.warnings) warnings.push_back(json::string(w));
  return json::object{{"month", r.month},
                      {"alreadyClosed", r.already_closed},
                      {"linesCreated", std::move(created)},
                      {"linesPosted", r.posted},
                      {"failures", std::move(failures)},
                      {"warnings", std::move(warnings)}};
}

}  // namespace pc::billing
