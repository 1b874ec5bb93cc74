#include "billing/kept_aside.h"

#include <algorithm>
#include <cctype>

#include "core/time.h"

namespace pc::billing {

namespace {

std::string Cased(std::string s, bool upper) {
  for (auto& c : s) {
    c = static_cast<char>(upper ? std::toupper(static_cast<unsigned char>(c))
                                : std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

bool IdText(const std::string& s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

}  // namespace

Result<SubscriptionMapping> SubscriptionMappingFromJson(const json::object& body) {
  SubscriptionMapping m;
  PC_ASSIGN_OR_RETURN(m.azure_subscription_id, RequiredString(body, "azureSubscriptionId"));
  PC_ASSIGN_OR_RETURN(m.billing_alias, RequiredString(body, "billingAlias"));
  PC_ASSIGN_OR_RETURN(auto customer, OptionalString(body, "customerId"));
  m.azure_subscription_id = Cased(m.azure_subscription_id, false);
  m.billing_alias = Cased(m.billing_alias, true);
  m.customer_id = Cased(customer.value_or(""), false);
  if (!IdText(m.azure_subscription_id)) {
    return InvalidArgument(
        "Field 'azureSubscriptionId' must be the Azure subscription id (a GUID) as the kept-aside "
        "list shows it");
  }
  if (m.billing_alias.size() < 2 || m.billing_alias.size() > 6 ||
      !std::all_of(m.billing_alias.begin(), m.billing_alias.end(),
                   [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; })) {
    return InvalidArgument(
        "Field 'billingAlias' must be a CenturyLink Cloud account alias: 2 to 6 letters or "
        "digits, such as ACME");
  }
  if (!m.customer_id.empty() && !IdText(m.customer_id)) {
    return InvalidArgument("Field 'customerId' must be the CSP customer (tenant) id, or absent");
  }
  return m;
}

Result<std::vector<Attribution>> MapSubscription(store::Database& db,
                                                 const identity::Principal& who,
                                                 const SubscriptionMapping& m) {
  if (who.via != identity::Principal::Via::kSystem && who.user.role != identity::Role::kOperator) {
    return PermissionDenied("Only operators may map Azure subscriptions to billing aliases");
  }
  return db.InTransaction<std::vector<Attribution>>(
      [&](store::Transaction& tx) -> Result<std::vector<Attribution>> {
        PC_ASSIGN_OR_RETURN(auto alias, tx.Query("SELECT organization_id FROM billing_aliases "
                                                 "WHERE alias = ?",
                                                 {m.billing_alias}));
        if (alias.empty()) return NotFound("There is no billing alias " + m.billing_alias);
        PC_ASSIGN_OR_RETURN(auto existing,
                            tx.Query("SELECT billing_alias, customer_id FROM "
                                     "azure_subscriptions_map WHERE azure_subscription_id = ?",
                                     {m.azure_subscription_id}));
        if (!existing.empty() && existing[0].Text(0) != m.billing_alias) {
          return Conflict("Azure subscription " + m.azure_subscription_id + " is billed to alias " +
                          existing[0].Text(0) + " already; its usage cannot be moved to " +
                          m.billing_alias);
        }
        if (existing.empty()) {
          PC_RETURN_IF_ERROR(
              tx.Execute("INSERT INTO azure_subscriptions_map (azure_subscription_id, customer_id, "
                         "billing_alias, organization_id, created_at) VALUES (?, ?, ?, ?, ?)",
                         {m.azure_subscription_id, m.customer_id, m.billing_alias, alias[0].Text(0),
                          FormatTimestamp(Now())}));
        }
        PC_ASSIGN_OR_RETURN(auto attributed, AttributeKeptAside(tx));
        json::array months;
        for (const auto& a : attributed) months.push_back(ToJson(a));
        PC_RETURN_IF_ERROR(
            identity::IdentityService::Audit(tx, who, alias[0].Text(0), "usage.mapped",
                                             "azure_subscription", m.azure_subscription_id,
                                             json::object{{"billingAlias", m.billing_alias},
                                                          {"customerId", m.customer_id},
                                                          {"attributed", std::move(months)}}));
        return attributed;
      });
}

json::object ToJson(const Attribution& a) {
  return json::object{{"billingAlias", a.billing_alias},
                      {"customerId", a.customer_id},
                      {"subscriptionId", a.azure_subscription_id},
                      {"month", a.month},
                      {"currency", a.currency},
                      {"amount", a.charge.ToString()},
                      {"quantity", a.quantity.ToString()},
                      {"lines", a.lines}};
}

}  // namespace pc::billing
