// Pricing rules: an operator's markup (positive percent) or discount (negative percent) on the
// customer charge (UnitPrice × Quantity), per billing alias and/or meter category, in effect
// from one day through another.
//
// Rules are applied when charges are read (LoadPricedRollups, month close), not when usage is
// imported: the rollups keep list-price charges per day and meter category, so a new rule
// needs no re-import. A rule may not start inside a month already closed, so a closed month's
// charges never change. Rules are never edited or deleted; a later rule supersedes an earlier
// one of the same specificity.
// Thread-safe (no state of its own).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/decimal.h"
#include "core/json.h"
#include "core/result.h"
#include "identity/identity.h"
#include "store/store.h"

namespace pc::billing {

struct PricingRule {
  std::string id;
  std::optional<std::string> billing_alias;   // nullopt: every alias
  std::optional<std::string> meter_category;  // nullopt: every meter category
  Decimal percent;                            // +10 = 10% markup, -5 = 5% discount
  std::string effective_from;                 // YYYY-MM-DD, inclusive
  std::optional<std::string> effective_to;    // YYYY-MM-DD, inclusive; nullopt: open-ended
  std::string note;
  std::string created_at;
  std::string created_by;
};

// Reads a rule from the API's JSON body {billingAlias?, meterCategory?, percent: "12.5",
// effectiveFrom: "YYYY-MM-DD", effectiveTo?, note?}. The percent is a decimal string (a JSON
// number would pass through binary floating point), -100..1000, at most 4 decimals; at least
// one of billingAlias and meterCategory. Errors: InvalidArgument naming the field.
Result<PricingRule> PricingRuleFromJson(const json::object& body);

// Stores a rule (operators only: PermissionDenied), audited. FailedPrecondition when it would
// start inside a closed month.
Result<PricingRule> CreatePricingRule(store::Database& db, const identity::Principal& who,
                                      PricingRule rule);
// Every rule, newest first (operators and support agents; others PermissionDenied).
Result<std::vector<PricingRule>> ListPricingRules(store::Database& db,
                                                  const identity::Principal& who);

// The rules that can apply to `alias` (its own and those for every alias).
Result<std::vector<PricingRule>> LoadRulesFor(store::Transaction& tx, const std::string& alias);

// The rule in effect for a usage day, or null: the most specific (alias+category > alias >
// category) among those whose dates include `day`; among equals the latest effective_from, then
// the latest created.
const PricingRule* RuleInEffect(const std::vector<PricingRule>& rules, const std::string& alias,
                                const std::string& meter_category, const std::string& day);

// charge × (100 + percent) / 100, exact; the charge unchanged when rule is null.
Result<Decimal> ApplyRule(const Decimal& charge, const PricingRule* rule);

json::object ToJson(const PricingRule& rule);

}  // namespace pc::billing
