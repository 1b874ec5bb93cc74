#include "budgets/budget.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "billing/charges.h"
#include "budgets/evaluation.h"
#include "core/money.h"
#include "core/text.h"
#include "core/uuid.h"

namespace pc::budgets {

namespace {

using identity::Principal;
using identity::Role;

constexpr size_t kMaxThresholds = 10;
constexpr size_t kMaxRecipients = 20;
constexpr int64_t kMaxBudgetsPerOrganization = 200;

bool IsSystem(const Principal& who) { return who.via == Principal::Via::kSystem; }

bool MayRead(const Principal& who, const Budget& b) {
  return IsSystem(who) || identity::IsPartnerStaff(who.user.role) ||
         who.organization.id == b.organization_id;
}

// Organization admins manage their organization's budgets; operators all.
Status CheckManage(const Principal& who, const Budget& b) {
  if (!MayRead(who, b)) return NotFound("No budget " + b.id);
  if (IsSystem(who) || who.user.role == Role::kOperator) return {};
  if (who.user.role == Role::kOrgAdmin && who.organization.id == b.organization_id) return {};
  return PermissionDenied(
      "Only your organization's admins (and the partner's operators) manage budgets; you may "
      "read them");
}

// Text without trailing fraction zeros: "80.50" → "80.5", "80.0" → "80". The key of a
// threshold in its alerts, so that "80" and "80.00" are one threshold.
std::string Canonical(const Decimal& d) {
  std::string s = d.ToString();
  if (s.find('.') == std::string::npos) return s;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

// A decimal string field: InvalidArgument naming the field when absent, not a string or not a
// plain decimal; then the range and places are checked by the caller's `check`.
Result<Decimal> DecimalField(const json::value& v, std::string_view field, std::string_view example) {
  if (!v.is_string()) {
    return InvalidArgument("Field '" + std::string(field) + "' must be a decimal string such as \"" +
                           std::string(example) + "\" (not a JSON number)");
  }
  auto d = Decimal::Parse(v.as_string());
  if (!d.ok()) return InvalidArgument("Field '" + std::string(field) + "': " + d.error().message);
  return *d;
}

Result<Decimal> PercentField(const json::value& v, std::string_view field, bool zero_allowed) {
  PC_ASSIGN_OR_RETURN(Decimal p, DecimalField(v, field, "80"));
  if ((zero_allowed ? p.IsNegative() : p <= Decimal()) || p > Decimal::FromInt(1000) ||
      p.scale() > 2) {
    return InvalidArgument("Field '" + std::string(field) + "' must be a percent " +
                           (zero_allowed ? "from 0" : "above 0") +
                           " up to 1000 with at most 2 decimals, such as \"80\" or \"112.5\"");
  }
  return p;
}

Result<Decimal> AmountField(const json::value& v) {
  PC_ASSIGN_OR_RETURN(Decimal a, DecimalField(v, "amount", "500.00"));
  if (a <= Decimal() || a >= Decimal::FromInt(1000000000000) || a.scale() > 3) {
    return InvalidArgument(
        "Field 'amount' must be above 0 and below 1000000000000, with at most the currency's "
        "decimals, such as \"500.00\"");
  }
  return a;
}

Result<std::vector<Threshold>> ThresholdsField(const json::value& v) {
  if (!v.is_array()) {
    return InvalidArgument(
        "Field 'thresholds' must be an array such as [{\"percent\":\"80\",\"kind\":\"actual\"}]");
  }
  const auto& items = v.as_array();
  if (items.size() > kMaxThresholds) {
    return InvalidArgument("Field 'thresholds': at most " + std::to_string(kMaxThresholds) +
                           " thresholds");
  }
  std::vector<Threshold> out;
  std::set<std::pair<std::string, std::string>> seen;
  for (size_t i = 0; i < items.size(); ++i) {
    std::string where = "thresholds[" + std::to_string(i) + "]";
    if (!items[i].is_object()) {
      return InvalidArgument("Field '" + where + "' must be an object {\"percent\",\"kind\"}");
    }
    const auto& o = items[i].as_object();
    Threshold t;
    auto percent = o.find("percent");
    if (percent == o.end()) return InvalidArgument("Field '" + where + ".percent' is required");
    PC_ASSIGN_OR_RETURN(t.percent, PercentField(percent->value(), where + ".percent", false));
    auto kind = o.find("kind");
    std::string kind_text =
        kind != o.end() && kind->value().is_string() ? std::string(kind->value().as_string()) : "";
    if (kind_text == "actual") {
      t.kind = ThresholdKind::kActual;
    } else if (kind_text == "forecast") {
      t.kind = ThresholdKind::kForecast;
    } else {
      return InvalidArgument("Field '" + where +
                             ".kind' must be \"actual\" (month-to-date spend) or \"forecast\" "
                             "(the month's forecast)");
    }
    if (!seen.emplace(kind_text, Canonical(t.percent)).second) {
      return InvalidArgument("Field '" + where + "' repeats the " + kind_text + " threshold " +
                             Canonical(t.percent) + "%");
    }
    out.push_back(t);
  }
  return out;
}

Result<Pace> PaceField(const json::value& v) {
  if (!v.is_object()) {
    return InvalidArgument(
        "Field 'pace' must be an object such as {\"enabled\":true,\"tolerancePercent\":\"10\"}");
  }
  const auto& o = v.as_object();
  Pace pace;
  PC_ASSIGN_OR_RETURN(auto enabled, OptionalBool(o, "enabled"));
  if (!enabled) return InvalidArgument("Field 'pace.enabled' is required (true or false)");
  pace.enabled = *enabled;
  if (auto t = o.find("tolerancePercent"); t != o.end() && !t->value().is_null()) {
    PC_ASSIGN_OR_RETURN(pace.tolerance_percent,
                        PercentField(t->value(), "pace.tolerancePercent", true));
  }
  return pace;
}

Status CheckEmail(std::string_view field, std::string_view email) {
  auto at = email.find('@');
  bool ok = email.size() <= 254 && at != std::string_view::npos && at > 0 &&
            at == email.rfind('@') && email.find('.', at) != std::string_view::npos &&
            email.back() != '.';
  for (char c : email) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == ',' || c == ';' || c == '<' || c == '>' || c == '"') {
      ok = false;
    }
  }
  if (!ok) {
    return InvalidArgument("Field '" + std::string(field) +
                           "' must be an email address such as name@example.com; got '" +
                           std::string(email.substr(0, 64)) + "'");
  }
  return {};
}

Result<std::vector<std::string>> RecipientsField(const json::value& v) {
  if (!v.is_array()) {
    return InvalidArgument("Field 'recipients' must be an array of email addresses");
  }
  const auto& items = v.as_array();
  if (items.size() > kMaxRecipients) {
    return InvalidArgument("Field 'recipients': at most " + std::to_string(kMaxRecipients) +
                           " addresses");
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < items.size(); ++i) {
    std::string field = "recipients[" + std::to_string(i) + "]";
    if (!items[i].is_string()) return InvalidArgument("Field '" + field + "' must be a string");
    std::string email(items[i].as_string());
    PC_RETURN_IF_ERROR(CheckEmail(field, email));
    if (std::find(out.begin(), out.end(), email) == out.end()) out.push_back(email);
  }
  return out;
}

Result<std::string> NameField(const json::value& v) {
  if (!v.is_string()) return InvalidArgument("Field 'name' must be a string");
  std::string name(v.as_string());
  if (name.empty()) return InvalidArgument("Field 'name' must not be empty");
  PC_RETURN_IF_ERROR(CheckLineText("name", name, 200));
  return name;
}

Result<std::string> AliasField(const json::value& v) {
  std::string alias = v.is_string() ? std::string(v.as_string()) : "";
  for (auto& c : alias) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (alias.empty() || alias.size() > 6 || !std::all_of(alias.begin(), alias.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c));
      })) {
    return InvalidArgument("Field 'alias' must be a billing alias: 1 to 6 letters or digits");
  }
  return alias;
}

Result<std::optional<std::string>> SubscriptionField(const json::value& v) {
  if (v.is_null()) return std::optional<std::string>();
  std::string sub = v.is_string() ? std::string(v.as_string()) : "";
  if (sub.empty() || sub.size() > 64 || !std::all_of(sub.begin(), sub.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
      })) {
    return InvalidArgument(
        "Field 'subscriptionId' must be an Azure subscription id (letters, digits and dashes) "
        "or null for the whole alias");
  }
  return std::optional<std::string>(sub);
}

Result<std::string> CurrencyField(const json::value& v) {
  auto currency = v.is_string() ? Currency::FromCode(v.as_string()) : Currency::FromCode("");
  if (!currency.ok()) {
    return InvalidArgument("Field 'currency' must be an ISO 4217 code such as \"USD\"");
  }
  return currency->code;
}

std::string ThresholdsText(const std::vector<Threshold>& thresholds) {
  json::array a;
  for (const auto& t : thresholds) {
    a.push_back(json::object{{"percent", Canonical(t.percent)},
                             {"kind", std::string(ThresholdKindName(t.kind))}});
  }
  return pc::ToJson(a);
}

std::string RecipientsText(const std::vector<std::string>& recipients) {
  json::array a;
  for (const auto& r : recipients) a.push_back(json::string(r));
  return pc::ToJson(a);
}

constexpr std::string_view kColumns =
    "id, organization_id, billing_alias, azure_subscription_id, name, amount, currency, "
    "thresholds, pace_enabled, pace_tolerance, recipients, arming, created_at, created_by, "
    "updated_at";

Result<Budget> FromRow(const store::Row& r) {
  Budget b;
  b.id = r.Text(0);
  b.organization_id = r.Text(1);
  b.alias = r.Text(2);
  if (!r.IsNull(3)) b.azure_subscription_id = r.Text(3);
  b.name = r.Text(4);
  auto amount = Decimal::Parse(r.Text(5));
  auto tolerance = Decimal::Parse(r.Text(9));
  auto thresholds = ParseJson(r.Text(7));
  auto recipients = ParseJson(r.Text(10));
  if (!amount.ok() || !tolerance.ok() || !thresholds.ok() || !recipients.ok()) {
    return Internal("budget " + b.id + " is stored in a form this version cannot read");
  }
  b.amount = *amount;
  b.currency = r.Text(6);
  PC_ASSIGN_OR_RETURN(b.thresholds, ThresholdsField(*thresholds));
  b.pace.enabled = r.Int(8) != 0;
  b.pace.tolerance_percent = *tolerance;
  PC_ASSIGN_OR_RETURN(b.recipients, RecipientsField(*recipients));
  b.arming = r.Int(11);
  b.created_at = r.Text(12);
  b.created_by = r.Text(13);
  b.updated_at = r.Text(14);
  return b;
}

Result<std::vector<Budget>> Select(store::Transaction& tx, const std::string& where,
                                   const std::vector<store::Param>& params) {
  PC_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT " + std::string(kColumns) + " FROM budgets " +
                                              where + " ORDER BY billing_alias, name, id",
                                          params));
  std::vector<Budget> out;
  for (const auto& r : rows) {
    PC_ASSIGN_OR_RETURN(auto b, FromRow(r));
    out.push_back(std::move(b));
  }
  return out;
}

Result<Budget> Load(store::Transaction& tx, const Principal& who, std::string_view id) {
  PC_ASSIGN_OR_RETURN(auto found, Select(tx, "WHERE id = ?", {std::string(id)}));
  if (found.empty() || !MayRead(who, found[0])) return NotFound("No budget " + std::string(id));
  return found[0];
}

// The amount at the currency's places ("500" in USD is "500.00"); InvalidArgument for more.
Result<Decimal> AmountIn(const Decimal& amount, const std::string& currency) {
  PC_ASSIGN_OR_RETURN(auto c, Currency::FromCode(currency));
  if (amount.scale() > c.minor_unit) {
    return InvalidArgument("Field 'amount' has more decimals than " + c.code + " has (" +
                           std::to_string(c.minor_unit) + ")");
  }
  return amount.Rescale(c.minor_unit);
}

Status Write(store::Transaction& tx, const Budget& b, bool insert) {
  std::vector<store::Param> params{
      b.organization_id,
      b.alias,
      b.azure_subscription_id ? store::Param(*b.azure_subscription_id) : store::Param(nullptr),
      b.name,
      b.amount.ToString(),
      b.currency,
      ThresholdsText(b.thresholds),
      int64_t{b.pace.enabled ? 1 : 0},
      Canonical(b.pace.tolerance_percent),
      RecipientsText(b.recipients),
      b.arming,
      b.created_at,
      b.created_by,
      b.updated_at,
      b.id};
  if (insert) {
    PC_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO budgets (organization_id, billing_alias, azure_subscription_id, "
                   "name, amount, currency, thresholds, pace_enabled, pace_tolerance, "
                   "recipients, arming, created_at, created_by, updated_at, id) VALUES (?, ?, ?, "
                   "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   params));
    return {};
  }
  PC_RETURN_IF_ERROR(tx.Execute(
      "UPDATE budgets SET organization_id = ?, billing_alias = ?, azure_subscription_id = ?, "
      "name = ?, amount = ?, currency = ?, thresholds = ?, pace_enabled = ?, pace_tolerance = ?, "
      "recipients = ?, arming = ?, created_at = ?, created_by = ?, updated_at = ? WHERE id = ?",
      params));
  return {};
}

json::object AuditDetail(const Budget& b) {
  return json::object{{"alias", b.alias},
                      {"subscriptionId", b.azure_subscription_id
                                             ? json::value(*b.azure_subscription_id)
                                             : json::value(nullptr)},
                      {"name", b.name},
                      {"amount", b.amount.ToString()},
                      {"currency", b.currency},
                      {"thresholds", ParseJson(ThresholdsText(b.thresholds)).value()},
                      {"pace", json::object{{"enabled", b.pace.enabled},
                                            {"tolerancePercent",
                                             Canonical(b.pace.tolerance_percent)}}},
                      {"recipients", ParseJson(RecipientsText(b.recipients)).value()},
                      {"arming", b.arming}};
}

std::string ActorOf(const Principal& who) {
  return IsSystem(who) ? std::string("cli") : who.user.email;
}

}  // namespace

std::string_view ThresholdKindName(ThresholdKind kind) {
  return kind == ThresholdKind::kForecast ? "forecast" : "actual";
}

Result<Budget> BudgetFromJson(const json::object& body) {
  Budget b;
  auto need = [&body](std::string_view key) -> Result<const json::value*> {
    auto it = body.find(key);
    if (it == body.end() || it->value().is_null()) {
      return InvalidArgument("Field '" + std::string(key) + "' is required");
    }
    return &it->value();
  };
  PC_ASSIGN_OR_RETURN(const json::value* alias, need("alias"));
  PC_ASSIGN_OR_RETURN(b.alias, AliasField(*alias));
  if (auto sub = body.find("subscriptionId"); sub != body.end()) {
    PC_ASSIGN_OR_RETURN(b.azure_subscription_id, SubscriptionField(sub->value()));
  }
  PC_ASSIGN_OR_RETURN(const json::value* name, need("name"));
  PC_ASSIGN_OR_RETURN(b.name, NameField(*name));
  PC_ASSIGN_OR_RETURN(const json::value* amount, need("amount"));
  PC_ASSIGN_OR_RETURN(b.amount, AmountField(*amount));
  if (auto c = body.find("currency"); c != body.end() && !c->value().is_null()) {
    PC_ASSIGN_OR_RETURN(b.currency, CurrencyField(c->value()));
  }
  if (auto t = body.find("thresholds"); t != body.end() && !t->value().is_null()) {
    PC_ASSIGN_OR_RETURN(b.thresholds, ThresholdsField(t->value()));
  }
  if (auto p = body.find("pace"); p != body.end() && !p->value().is_null()) {
    PC_ASSIGN_OR_RETURN(b.pace, PaceField(p->value()));
  }
  if (auto r = body.find("recipients"); r != body.end() && !r->value().is_null()) {
    PC_ASSIGN_OR_RETURN(b.recipients, RecipientsField(r->value()));
  }
  if (b.thresholds.empty() && !b.pace.enabled) {
    return InvalidArgument(
        "A budget needs at least one threshold (field 'thresholds') or the pace alert "
        "(field 'pace'), or it would never alert");
  }
  return b;
}

Result<BudgetChanges> BudgetChangesFromJson(const json::object& body) {
  BudgetChanges c;
  for (const auto& [key, value] : body) {
    if (key == "name") {
      PC_ASSIGN_OR_RETURN(c.name, NameField(value));
    } else if (key == "amount") {
      PC_ASSIGN_OR_RETURN(c.amount, AmountField(value));
    } else if (key == "thresholds") {
      PC_ASSIGN_OR_RETURN(c.thresholds, ThresholdsField(value));
    } else if (key == "pace") {
      PC_ASSIGN_OR_RETURN(c.pace, PaceField(value));
    } else if (key == "recipients") {
      PC_ASSIGN_OR_RETURN(c.recipients, RecipientsField(value));
    } else if (key == "alias" || key == "subscriptionId" || key == "currency") {
      return InvalidArgument("Field '" + std::string(key) +
                             "' cannot change: a budget keeps its scope and currency (delete it "
                             "and create another)");
    }
    // Other fields (id, status, alerts, ...: a budget as GET answered it) are read-only.
  }
  return c;
}

Result<Budget> CreateBudget(store::Database& db, const Principal& who, Budget budget) {
  if (!IsSystem(who) && who.user.role != Role::kOperator && who.user.role != Role::kOrgAdmin) {
    return PermissionDenied(
        "Only your organization's admins (and the partner's operators) create budgets");
  }
  return db.InTransaction<Budget>([&](store::Transaction& tx) -> Result<Budget> {
    Budget b = budget;
    PC_ASSIGN_OR_RETURN(auto owner, tx.Query("SELECT organization_id FROM billing_aliases WHERE "
                                             "alias = ? AND organization_id IS NOT NULL",
                                             {b.alias}));
    bool staff = IsSystem(who) || who.user.role == Role::kOperator;
    if (owner.empty() || (!staff && owner[0].Text(0) != who.organization.id)) {
      return NotFound(staff ? "No customer organization has billing alias " + b.alias
                            : "Your organization has no billing alias " + b.alias);
    }
    b.organization_id = owner[0].Text(0);
    if (b.azure_subscription_id) {
      PC_ASSIGN_OR_RETURN(auto mapped,
                          tx.Query("SELECT 1 FROM azure_subscriptions_map WHERE "
                                   "azure_subscription_id = ? AND billing_alias = ?",
                                   {*b.azure_subscription_id, b.alias}));
      if (mapped.empty()) {
        return InvalidArgument("Azure subscription " + *b.azure_subscription_id +
                               " is not billed to alias " + b.alias +
                               "; leave subscriptionId out (null) for the whole alias");
      }
    }
    PC_ASSIGN_OR_RETURN(std::string alias_currency, billing::AliasCurrency(tx, b.alias));
    if (alias_currency.empty()) alias_currency = "USD";  // connected before currencies
    if (b.currency.empty()) b.currency = alias_currency;
    if (b.currency != alias_currency) {
      return InvalidArgument("Billing alias " + b.alias + " bills in " + alias_currency +
                             "; a budget for it is in " + alias_currency + ", not " + b.currency);
    }
    PC_ASSIGN_OR_RETURN(b.amount, AmountIn(b.amount, b.currency));
    PC_ASSIGN_OR_RETURN(auto count, tx.Query("SELECT COUNT(*) FROM budgets WHERE "
                                             "organization_id = ?",
                                             {b.organization_id}));
    if (!count.empty() && count[0].Int(0) >= kMaxBudgetsPerOrganization) {
      return FailedPrecondition("An organization has at most " +
                                std::to_string(kMaxBudgetsPerOrganization) +
                                " budgets; delete one first");
    }
    if (b.recipients.empty() && !IsSystem(who)) b.recipients.push_back(who.user.email);
    b.id = Uuid::V7().ToString();
    b.arming = 1;
    b.created_at = b.updated_at = FormatTimestamp(Now());
    b.created_by = ActorOf(who);
    PC_RETURN_IF_ERROR(Write(tx, b, true));
    PC_RETURN_IF_ERROR(identity::IdentityService::Audit(tx, who, b.organization_id,
                                                        "budget.created", "budget", b.id,
                                                        AuditDetail(b)));
    PC_RETURN_IF_ERROR(EvaluateBudget(tx, b, Now()));
    return b;
  });
}

Result<std::vector<Budget>> ListBudgets(store::Database& db, const Principal& who,
                                        const std::optional<std::string>& alias) {
  return db.InTransaction<std::vector<Budget>>(
      [&](store::Transaction& tx) -> Result<std::vector<Budget>> {
        std::string where = "WHERE 1 = 1";
        std::vector<store::Param> params;
        if (!IsSystem(who) && !identity::IsPartnerStaff(who.user.role)) {
          where += " AND organization_id = ?";
          params.emplace_back(who.organization.id);
        }
        if (alias) {
          where += " AND billing_alias = ?";
          std::string upper = *alias;
          for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
          params.emplace_back(upper);
        }
        return Select(tx, where, params);
      });
}

Result<Budget> GetBudget(store::Database& db, const Principal& who, std::string_view id) {
  return db.InTransaction<Budget>(
      [&](store::Transaction& tx) -> Result<Budget> { return Load(tx, who, id); });
}

Result<Budget> UpdateBudget(store::Database& db, const Principal& who, std::string_view id,
                            const BudgetChanges& changes) {
  return db.InTransaction<Budget>([&](store::Transaction& tx) -> Result<Budget> {
    PC_ASSIGN_OR_RETURN(Budget b, Load(tx, who, id));
    PC_RETURN_IF_ERROR(CheckManage(who, b));
    bool rearm = false;
    if (changes.name) b.name = *changes.name;
    if (changes.amount) {
      PC_ASSIGN_OR_RETURN(Decimal amount, AmountIn(*changes.amount, b.currency));
      rearm = rearm || amount != b.amount;
      b.amount = amount;
    }
    if (changes.thresholds) {
      rearm = rearm || ThresholdsText(*changes.thresholds) != ThresholdsText(b.thresholds);
      b.thresholds = *changes.thresholds;
    }
    if (changes.pace) {
      rearm = rearm || changes.pace->enabled != b.pace.enabled ||
              changes.pace->tolerance_percent != b.pace.tolerance_percent;
      b.pace = *changes.pace;
    }
    if (changes.recipients) b.recipients = *changes.recipients;
    if (b.thresholds.empty() && !b.pace.enabled) {
      return InvalidArgument(
          "A budget needs at least one threshold or the pace alert, or it would never alert");
    }
    if (rearm) ++b.arming;
    b.updated_at = FormatTimestamp(Now());
    PC_RETURN_IF_ERROR(Write(tx, b, false));
    json::object detail = AuditDetail(b);
    detail["rearmed"] = rearm;
    PC_RETURN_IF_ERROR(identity::IdentityService::Audit(tx, who, b.organization_id,
                                                        "budget.updated", "budget", b.id, detail));
    PC_RETURN_IF_ERROR(EvaluateBudget(tx, b, Now()));
    return b;
  });
}

Status DeleteBudget(store::Database& db, const Principal& who, std::string_view id) {
  return db.InTransaction([&](store::Transaction& tx) -> Status {
    PC_ASSIGN_OR_RETURN(Budget b, Load(tx, who, id));
    PC_RETURN_IF_ERROR(CheckManage(who, b));
    PC_RETURN_IF_ERROR(tx.Execute("DELETE FROM budget_alerts WHERE budget_id = ?", {b.id}));
    PC_RETURN_IF_ERROR(tx.Execute("DELETE FROM budgets WHERE id = ?", {b.id}));
    return identity::IdentityService::Audit(tx, who, b.organization_id, "budget.deleted",
                                            "budget", b.id, AuditDetail(b));
  });
}

Result<std::vector<Budget>> LoadBudgets(store::Transaction& tx,
                                        const std::vector<std::string>& aliases) {
  if (aliases.empty()) return Select(tx, "", {});
  std::string where = "WHERE billing_alias IN (";
  std::vector<store::Param> params;
  for (size_t i = 0; i < aliases.size(); ++i) {
    where += i ? ", ?" : "?";
    params.emplace_back(aliases[i]);
  }
  return Select(tx, where + ")", params);
}

Result<json::object> BudgetJson(store::Transaction& tx, const Budget& b, Timestamp now) {
  YearMonth month = YearMonth::Containing(now);
  PC_ASSIGN_OR_RETURN(Figures f, BudgetFigures(tx, b, month));
  json::object status{
      {"month", month.ToString()},
      {"actual", FixedText(f.actual, f.minor_unit)},
      {"forecast", FixedText(f.forecast, f.minor_unit)},
      {"percentActual", PercentOf(f.actual, b.amount)},
      {"percentForecast", PercentOf(f.forecast, b.amount)},
      {"asOf", f.as_of ? json::value(*f.as_of) : json::value(nullptr)},
      {"daysElapsed", f.days_elapsed},
      {"daysInMonth", f.days_in_month},
      {"problem", f.problem ? json::value(*f.problem) : json::value(nullptr)}};
  PC_ASSIGN_OR_RETURN(auto alerts, LoadAlerts(tx, b.id));
  json::array alert_items;
  for (const auto& a : alerts) alert_items.push_back(ToJson(a));
  json::array thresholds = ParseJson(ThresholdsText(b.thresholds)).value().as_array();
  json::array recipients = ParseJson(RecipientsText(b.recipients)).value().as_array();
  return json::object{
      {"id", b.id},
      {"organizationId", b.organization_id},
      {"alias", b.alias},
      {"subscriptionId",
       b.azure_subscription_id ? json::value(*b.azure_subscription_id) : json::value(nullptr)},
      {"name", b.name},
      {"amount", b.amount.ToString()},
      {"currency", b.currency},
      {"thresholds", std::move(thresholds)},
      {"pace", json::object{{"enabled", b.pace.enabled},
                            {"tolerancePercent", Canonical(b.pace.tolerance_percent)}}},
      {"recipients", std::move(recipients)},
      {"createdAt", b.created_at},
      {"createdBy", b.created_by},
      {"updatedAt", b.updated_at},
      {"status", std::move(status)},
      {"alerts", std::move(alert_items)}};
}

Result<json::object> BudgetJson(store::Database& db, const Budget& budget, Timestamp now) {
  return db.InTransaction<json::object>(
      [&](store::Transaction& tx) { return BudgetJson(tx, budget, now); });
}

}  // namespace pc::budgets
