// Eligibility of CenturyLink Cloud aliases for Integrated Azure, with the seed's messages
// (seed-system.md §3.4), checked in the seed's order: bad credentials (CLC's own message), not
// an Account Administrator, alias not billable, billing address outside the territory.
#pragma once

#include <string>
#include <vector>

#include "connectors/clc_client.h"

namespace pc::onboarding {

// The seed's messages, verbatim (typos kept).
inline constexpr std::string_view kNotAdminMessage =
    "Thank you for your interest in gaining access to Integrated Azure. A centuryLink Cloud "
    "account administrator for your account as the ability to provide access to you. Please "
    "visit https://www.ctl.io/knowledge-base/accounts-&-users/user-permissions/ to learn how to "
    "locate your account administrator.";
inline constexpr std::string_view kNotBillableMessage =
    "Thank you for your interest in integrated Azure. Our apologies, but we are not able to "
    "provide this functionality for your account. Please submit a support request if you would "
    "like us to review your situation in further detail.";
inline constexpr std::string_view kTerritoryMessage =
    "Thank you for your interest in Integrated Azure. Our apologies, but we are not able to "
    "provide that functionality for your account. Please submit a support request if you would "
    "like us to review your situation in further detail.";

struct EligibilityPolicy {
  std::vector<std::string> allowed_countries{"US"};  // ISO 3166 alpha-2
};

// One entry of the Billing Alias drop-down.
struct BillingAliasChoice {
  std::string alias;
  std::string name;     // business name
  std::string country;  // ISO alpha-2
  bool billable = false;
  // Why not: "" when billable; otherwise one of reseller, reseller_customer, internal, demo,
  // sub_account_of_not_billable, inactive, outside_territory.
  std::string reason;
  std::string message;  // the seed's message for the reason ("" when billable)
};

// True if the roles include CLC's Account Administrator ("AccountAdmin").
bool IsAccountAdmin(const std::vector<std::string>& roles);
// "USA" -> "US", "UK"/"GBR" -> "GB", "CAN" -> "CA"; upper-cased.
std::string NormalizeCountry(std::string_view country);
// The currency an alias bills in, from its CLC account's country (CLC's account API carries no
// currency; Partner Center bills a customer in its country's currency): "GB" -> "GBP", euro
// countries -> "EUR", CA/AU/NZ/JP/CH/DK/NO/SE their own, anything else "USD".
std::string BillingCurrencyOf(std::string_view country);

// Evaluates the connected account and its descendants. `accounts` holds the home account first
// and every descendant; a descendant of a not-billable account is not billable either.
std::vector<BillingAliasChoice> EvaluateAliases(const std::vector<connectors::ClcAccount>& accounts,
                                                const EligibilityPolicy& policy);

}  // namespace pc::onboarding
