#include "billing/pricing.h"

#include <algorithm>
#include <cctype>

#include "billing/aggregates.h"
#include "billing/month_close.h"
#include "billing/precision.h"
#include "core/text.h"
#include "core/time.h"
#include "core/uuid.h"

namespace pc::billing {

namespace {

// "YYYY-MM-DD" of a real date, or an error naming the field.
Result<std::string> DayField(const std::string& field, const std::string& text) {
  if (text.size() != 10 || !ParseTimestamp(text).ok()) {
    return InvalidArgument("Field '" + field + "' must be a date YYYY-MM-DD such as 2026-12-01");
  }
  return text;
}

Result<std::optional<std::string>> OptionalNonEmpty(const json::object& body,
                                                    std::string_view key) {
  auto it = body.find(key);
  if (it != body.end() && it->value().is_null()) return std::optional<std::string>();
  PC_ASSIGN_OR_RETURN(auto v, OptionalString(body, key));
  if (v && v->empty()) return std::optional<std::string>();
  return v;
}

PricingRule FromRow(const store::Row& r) {
  PricingRule rule;
  rule.id = r.Text(0);
  if (!r.IsNull(1)) rule.billing_alias = r.Text(1);
  if (!r.IsNull(2)) rule.meter_category = r.Text(2);
  rule.percent = Decimal::Parse(r.Text(3)).value();
  rule.effective_from = r.Text(4);
  if (!r.IsNull(5)) rule.effective_to = r.Text(5);
  rule.note = r.Text(6);
  rule.created_at = r.Text(7);
  rule.created_by = r.Text(8);
  return rule;
}

constexpr std::string_view kColumns =
    "id, billing_alias, meter_category, percent, effective_from, effective_to, note, created_at, "
    "created_by";

int Specificity(const PricingRule& r) {
  return (r.billing_alias ? 2 : 0) + (r.meter_category ? 1 : 0);
}

}  // namespace

Result<PricingRule> PricingRuleFromJson(const json::object& body) {
  PricingRule rule;
  PC_ASSIGN_OR_RETURN(rule.billing_alias, OptionalNonEmpty(body, "billingAlias"));
  PC_ASSIGN_OR_RETURN(rule.meter_category, OptionalNonEmpty(body, "meterCategory"));
  if (rule.billing_alias) {
    for (auto& c : *rule.billing_alias)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    bool alias_ok = rule.billing_alias->size() >= 2 && rule.billing_alias->size() <= 6 &&
                    std::all_of(rule.billing_alias->begin(), rule.billing_alias->end(), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) != 0;
                    });
    if (!alias_ok) {
      return InvalidArgument(
          "Field 'billingAlias' must be a CenturyLink Cloud account alias: 2 to 6 letters or "
          "digits, such as ACME");
    }
  }
  if (rule.meter_category)
    PC_RETURN_IF_ERROR(CheckLineText("meterCategory", *rule.meter_category, 100));
  if (!rule.billing_alias && !rule.meter_category) {
    return InvalidArgument("A pricing rule needs 'billingAlias', 'meterCategory' or both");
  }
  auto percent = body.find("percent");
  if (percent == body.end() || !percent->value().is_string()) {
    return InvalidArgument(
        "Field 'percent' is required as a decimal string such as \"12.5\" "
        "(markup) or \"-5\" (discount); JSON numbers are refused so that no "
        "binary floating point touches a price");
  }
  auto parsed = Decimal::Parse(percent->value().as_string());
  if (!parsed.ok()) return InvalidArgument("Field 'percent': " + parsed.error().message);
  if (parsed->scale() > 4 || *parsed < Decimal::FromInt(-100) || *parsed > Decimal::FromInt(1000)) {
    return InvalidArgument(
        "Field 'percent' must be between -100 and 1000 with at most 4 "
        "decimals; got " +
        parsed->ToString());
  }
  rule.percent = *parsed;
  PC_ASSIGN_OR_RETURN(auto from, RequiredString(body, "effectiveFrom"));
  PC_ASSIGN_OR_RETURN(rule.effective_from, DayField("effectiveFrom", from));
  PC_ASSIGN_OR_RETURN(auto to, OptionalNonEmpty(body, "effectiveTo"));
  if (to) {
    PC_ASSIGN_OR_RETURN(auto day, DayField("effectiveTo", *to));
    if (day < rule.effective_from) {
      return InvalidArgument("Field 'effectiveTo' (" + day + ") is before 'effectiveFrom' (" +
                             rule.effective_from + ")");
    }
    rule.effective_to = day;
  }
  PC_ASSIGN_OR_RETURN(auto note, OptionalString(body, "note"));
  rule.note = note.value_or("");
  PC_RETURN_IF_ERROR(CheckLineText("note", rule.note, 500));
  return rule;
}

Result<PricingRule> CreatePricingRule(store::Database& db, const identity::Principal& who,
                                      PricingRule rule) {
  if (who.via != identity::Principal::Via::kSystem && who.user.role != identity::Role::kOperator) {
    return PermissionDenied("Only operators may create pricing rules");
  }
  rule.id = Uuid::V7().ToString();
  rule.created_at = FormatTimestamp(Now());
  rule.created_by = who.via == identity::Principal::Via::kSystem ? "cli" : who.user.email;
  return db.InTransaction<PricingRule>([&](store::Transaction& tx) -> Result<PricingRule> {
    PC_RETURN_IF_ERROR(LockBillingCloses(tx));  // no close may run between check and insert
    PC_ASSIGN_OR_RETURN(auto closed, tx.Query("SELECT month FROM billing_closes WHERE month >= ? "
                                              "ORDER BY month DESC LIMIT 1",
                                              {rule.effective_from.substr(0, 7)}));
    if (!closed.empty()) {
      return FailedPrecondition("The month " + closed[0].Text(0) +
                                " is closed and its charges never change; a rule must start "
                                "after the last closed month");
    }
    if (rule.billing_alias) {
      // A rule for an alias nobody has onboarded or billed would silently never apply.
      PC_ASSIGN_OR_RETURN(
          auto known,
          tx.Query("SELECT 1 FROM billing_aliases WHERE alias = ? UNION ALL SELECT 1 FROM "
                   "azure_subscriptions_map WHERE billing_alias = ? UNION ALL SELECT 1 FROM "
                   "usage_rollups WHERE billing_alias = ? LIMIT 1",
                   {*rule.billing_alias, *rule.billing_alias, *rule.billing_alias}));
      if (known.empty()) {
        return InvalidArgument("Billing alias '" + *rule.billing_alias +
                               "' is not known here: no provider has been created for it and no "
                               "usage is mapped to it. Check the alias, or create its provider "
                               "first.");
      }
    }
    auto opt = [](const std::optional<std::string>& v) -> store::Param {
      return v ? store::Param(*v) : store::Param(nullptr);
    };
    PC_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO pricing_rules (" + std::string(kColumns) +
                       ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   {rule.id, opt(rule.billing_alias), opt(rule.meter_category),
                    rule.percent.ToString(), rule.effective_from, opt(rule.effective_to), rule.note,
                    rule.created_at, rule.created_by}));
    // The months it reprices (marked stale by the insert) are rebuilt in this transaction.
    PC_ASSIGN_OR_RETURN(int64_t repriced, RefreshStaleAggregates(tx));
    (void)repriced;
    PC_RETURN_IF_ERROR(identity::IdentityService::Audit(
        tx, who, std::nullopt, "pricing_rule.create", "pricing_rule", rule.id, ToJson(rule)));
    return rule;
  });
}

Result<std::vector<PricingRule>> ListPricingRules(store::Database& db,
                                                  const identity::Principal& who) {
  if (who.via != identity::Principal::Via::kSystem && !identity::IsPartnerStaff(who.user.role)) {
    return PermissionDenied("Only the partner's staff may read pricing rules");
  }
  return db.InTransaction<std::vector<PricingRule>>(
      [](store::Transaction& tx) -> Result<std::vector<PricingRule>> {
        PC_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT " + std::string(kColumns) +
                                                " FROM pricing_rules ORDER BY created_at DESC, "
                                                "id DESC"));
        std::vector<PricingRule> out;
        for (const auto& r : rows) out.push_back(FromRow(r));
        return out;
      });
}

Result<std::vector<PricingRule>> LoadRulesFor(store::Transaction& tx, const std::string& alias) {
  PC_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT " + std::string(kColumns) +
                                              " FROM pricing_rules WHERE billing_alias = ? OR "
                                              "billing_alias IS NULL",
                                          {alias}));
  std::vector<PricingRule> out;
  for (const auto& r : rows) out.push_back(FromRow(r));
  return out;
}

const PricingRule* RuleInEffect(const std::vector<PricingRule>& rules, const std::string& alias,
                                const std::string& meter_category, const std::string& day) {
  const PricingRule* best = nullptr;
  for (const auto& r : rules) {
    if (r.billing_alias && *r.billing_alias != alias) continue;
    if (r.meter_category && *r.meter_category != meter_category) continue;
    if (day < r.effective_from || (r.effective_to && day > *r.effective_to)) continue;
    if (!best || Specificity(r) > Specificity(*best) ||
        (Specificity(r) == Specificity(*best) &&
         std::tie(r.effective_from, r.created_at, r.id) >
             std::tie(best->effective_from, best->created_at, best->id))) {
      best = &r;
    }
  }
  return best;
}

Result<Decimal> ApplyRule(const Decimal& charge, const PricingRule* rule) {
  if (!rule) return charge;
  // (100 + percent) / 100 as an exact decimal: the percent's digits shifted two places.
  PC_ASSIGN_OR_RETURN(Decimal factor, Decimal::FromInt(100).Add(rule->percent));
  PC_ASSIGN_OR_RETURN(factor, Decimal::FromParts(factor.mantissa(), factor.scale() + 2));
  return MulRounded(charge, factor);  // rescaled beyond kChargeScale places (precision.h)
}

json::object ToJson(const PricingRule& rule) {
  json::object out{{"id", rule.id},
                   {"billingAlias", nullptr},
                   {"meterCategory", nullptr},
                   {"percent", rule.percent.ToString()},
                   {"effectiveFrom", rule.effective_from},
                   {"effectiveTo", nullptr},
                   {"note", rule.note},
                   {"createdAt", rule.created_at},
                   {"createdBy", rule.created_by}};
  if (rule.billing_alias) out["billingAlias"] = *rule.billing_alias;
  if (rule.meter_category) out["meterCategory"] = *rule.meter_category;
  if (rule.effective_to) out["effectiveTo"] = *rule.effective_to;
  return out;
}

}  // namespace pc::billing
