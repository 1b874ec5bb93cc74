#include "onboarding/eligibility.h"

#include <algorithm>
#include <map>
#include <set>

namespace pc::onboarding {

namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

// The account's own reason for not being billable, ignoring its ancestors.
std::string OwnReason(const connectors::ClcAccount& a) {
  std::string type = Upper(a.account_type);
  std::string status = Upper(a.status);
  if (type == "RESELLER") return "reseller";
  if (type == "RESELLERCUSTOMER") return "reseller_customer";
  if (type == "INTERNAL") return "internal";
  if (type == "DEMO" || status == "DEMO") return "demo";
  if (!status.empty() && status != "ACTIVE") return "inactive";
  return "";
}

}  // namespace

bool IsAccountAdmin(const std::vector<std::string>& roles) {
  return std::find(roles.begin(), roles.end(), "AccountAdmin") != roles.end();
}

std::string NormalizeCountry(std::string_view country) {
  std::string c = Upper(country);
  if (c == "USA") return "US";
  if (c == "UK" || c == "GBR") return "GB";
  if (c == "CAN") return "CA";
  return c;
}

std::string BillingCurrencyOf(std::string_view country) {
  static const std::map<std::string, std::string, std::less<>> kOwn{
      {"GB", "GBP"}, {"CA", "CAD"}, {"AU", "AUD"}, {"NZ", "NZD"}, {"JP", "JPY"},
      {"CH", "CHF"}, {"DK", "DKK"}, {"NO", "NOK"}, {"SE", "SEK"}};
  static const std::set<std::string, std::less<>> kEuro{"AT", "BE", "CY", "DE", "EE", "ES", "FI",
                                                        "FR", "GR", "HR", "IE", "IT", "LT", "LU",
                                                        "LV", "MT", "NL", "PT", "SI", "SK"};
  std::string c = NormalizeCountry(country);
  if (auto it = kOwn.find(c); it != kOwn.end()) return it->second;
  if (kEuro.contains(c)) return "EUR";
  return "USD";
}

std::vector<BillingAliasChoice> EvaluateAliases(const std::vector<connectors::ClcAccount>& accounts,
                                                const EligibilityPolicy& policy) {
  std::map<std::string, std::string> reason_by_alias;
  std::map<std::string, const connectors::ClcAccount*> by_alias;
  for (const auto& a : accounts) by_alias[Upper(a.alias)] = &a;
  // A not-billable ancestor (within the listing) makes the account not billable.
  auto inherited = [&](const connectors::ClcAccount& a) -> std::string {
    std::string parent = Upper(a.parent_alias);
    for (int depth = 0; depth < 16 && !parent.empty(); ++depth) {
      auto it = by_alias.find(parent);
      if (it == by_alias.end()) break;
      if (!OwnReason(*it->second).empty()) return "sub_account_of_not_billable";
      parent = Upper(it->second->parent_alias);
    }
    return "";
  };
  std::vector<BillingAliasChoice> out;
  for (const auto& a : accounts) {
    BillingAliasChoice c;
    c.alias = Upper(a.alias);
    c.name = a.business_name;
    c.country = NormalizeCountry(a.country);
    c.reason = OwnReason(a);
    if (c.reason.empty()) c.reason = inherited(a);
    if (!c.reason.empty()) {
      c.message = std::string(kNotBillableMessage);
    } else if (std::find(policy.allowed_countries.begin(), policy.allowed_countries.end(),
                         c.country) == policy.allowed_countries.end()) {
      c.reason = "outside_territory";
      c.message = std::string(kTerritoryMessage);
    }
    c.billable = c.reason.empty();
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace pc::onboarding
