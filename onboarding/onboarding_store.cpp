#include "onboarding/onboarding_store.h"

#include <boost/algorithm/string/case_conv.hpp>

#include "connectors/partner_center_client.h"
#include "core/time.h"
#include "webhooks/events.h"

namespace pc::onboarding {

using store::Param;
using store::Transaction;

namespace {

Status Exec(store::Database& db, const std::string& sql, const std::vector<Param>& params) {
  return db.InTransaction([&](Transaction& tx) -> Status {
    PC_RETURN_IF_ERROR(tx.Execute(sql, params));
    return {};
  });
}

}  // namespace

Result<AliasRow> OnboardingStore::LoadAlias(const std::string& alias) {
  PC_ASSIGN_OR_RETURN(auto tx, db_.Begin());
  PC_ASSIGN_OR_RETURN(auto rows,
                      tx->Query("SELECT alias, organization_id, company_name, country, "
                                "account_snapshot, tenant_domain, customer_id, "
                                "plan_subscription_id FROM billing_aliases WHERE alias = ?",
                                {alias}));
  if (rows.empty()) return NotFound("Billing alias " + alias + " is not recorded");
  const auto& r = rows[0];
  AliasRow a{r.Text("alias"),
             r.Text("company_name"),
             r.Text("country"),
             r.Text("organization_id"),
             {},
             {},
             {},
             {}};
  auto snap = ParseJsonObject(r.Text("account_snapshot"));
  if (snap.ok()) a.snapshot = std::move(*snap);
  if (!r.IsNull("tenant_domain")) a.tenant_domain = r.Text("tenant_domain");
  if (!r.IsNull("customer_id")) a.customer_id = r.Text("customer_id");
  if (!r.IsNull("plan_subscription_id")) a.plan_subscription_id = r.Text("plan_subscription_id");
  return a;
}

Result<std::string> OnboardingStore::AliasOfCustomer(const std::string& customer_id,
                                                     const std::string& alias) {
  PC_ASSIGN_OR_RETURN(auto tx, db_.Begin());
  PC_ASSIGN_OR_RETURN(auto rows, tx->Query("SELECT alias FROM billing_aliases WHERE "
                                           "lower(customer_id) = lower(?) AND alias <> ?",
                                           {customer_id, alias}));
  return rows.empty() ? std::string() : rows[0].Text(0);
}

Result<std::string> OnboardingStore::AliasOfSubscription(const std::string& subscription_id,
                                                         const std::string& alias) {
  PC_ASSIGN_OR_RETURN(auto tx, db_.Begin());
  PC_ASSIGN_OR_RETURN(auto rows,
                      tx->Query("SELECT billing_alias FROM azure_subscriptions_map WHERE "
                                "azure_subscription_id = lower(?) AND billing_alias <> ?",
                                {subscription_id, alias}));
  return rows.empty() ? std::string() : rows[0].Text(0);
}

Result<std::string> OnboardingStore::FirstLiveProvider(const std::string& alias) {
  PC_ASSIGN_OR_RETURN(auto tx, db_.Begin());
  PC_ASSIGN_OR_RETURN(auto rows, tx->Query("SELECT id FROM providers WHERE billing_alias = ? "
                                           "AND state <> 'unavailable' ORDER BY created_at, "
                                           "id LIMIT 1",
                                           {alias}));
  return rows.empty() ? std::string() : rows[0].Text("id");
}

Status OnboardingStore::SaveTenantDomain(const std::string& alias, const std::string& domain) {
  return Exec(db_,
              "UPDATE billing_aliases SET tenant_domain = ?, updated_at = ? WHERE "
              "alias = ? AND tenant_domain IS NULL",
              {domain, FormatTimestamp(Now()), alias});
}

Status OnboardingStore::ClearTenantDomain(const std::string& alias) {
  return Exec(db_,
              "UPDATE billing_aliases SET tenant_domain = NULL WHERE alias = ? "
              "AND customer_id IS NULL",
              {alias});
}

Status OnboardingStore::SaveCustomer(
    const std::string& alias, const std::string& customer_id, const std::string& provider_id,
    const std::optional<std::pair<std::string, std::string>>& admin_sealed) {
  std::string now = FormatTimestamp(Now());
  return db_.InTransaction([&](Transaction& tx) -> Status {
    PC_RETURN_IF_ERROR(
        tx.Execute("UPDATE billing_aliases SET customer_id = ?, updated_at = ? "
                   "WHERE alias = ?",
                   {customer_id, now, alias}));
    if (admin_sealed) {
      PC_RETURN_IF_ERROR(tx.Execute(
          "UPDATE providers SET admin_user_name = ?, admin_password_sealed = ? WHERE id = ? "
          "AND admin_credentials_shown_at IS NULL",
          {admin_sealed->first, admin_sealed->second, provider_id}));
    }
    return {};
  });
}

Status OnboardingStore::SavePlanSubscription(const std::string& alias,
                                             const std::string& plan_subscription_id) {
  return Exec(db_,
              "UPDATE billing_aliases SET plan_subscription_id = ?, updated_at = ? WHERE "
              "alias = ?",
              {plan_subscription_id, FormatTimestamp(Now()), alias});
}

Status OnboardingStore::AssociateSubscription(const AliasRow& a, const std::string& provider_id,
                                              const std::string& subscription_id) {
  std::string now = FormatTimestamp(Now());
  return db_.InTransaction([&](Transaction& tx) -> Status {
    PC_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO azure_subscriptions_map (azure_subscription_id, customer_id, "
                   "billing_alias, organization_id, created_at) VALUES (?, ?, ?, ?, ?) "
                   "ON CONFLICT (azure_subscription_id) DO NOTHING",
                   // Lower case, as the usage import reads subscription and customer ids.
                   {boost::algorithm::to_lower_copy(subscription_id),
                    boost::algorithm::to_lower_copy(a.customer_id.value_or("")), a.alias,
                    a.organization_id, now}));
    PC_RETURN_IF_ERROR(
        tx.Execute("UPDATE providers SET azure_subscription_id = ?, updated_at = ? "
                   "WHERE id = ?",
                   {subscription_id, now, provider_id}));
    return {};
  });
}

Status OnboardingStore::RecordAdvance(Transaction& tx, const std::string& provider,
                                      std::string_view from, std::string_view to) {
  std::string now = FormatTimestamp(Now());
  PC_RETURN_IF_ERROR(
      tx.Execute("UPDATE provider_steps SET state = 'done', last_error = "
                 "NULL, updated_at = ? WHERE provider_id = ? AND step_key = ?",
                 {now, provider, std::string(from)}));
  // Steps skipped on the way (none today) are done as well.
  PC_RETURN_IF_ERROR(tx.Execute(
      "UPDATE provider_steps SET state = 'done', updated_at = ? WHERE provider_id = ? AND "
      "position < (SELECT position FROM provider_steps WHERE provider_id = ? AND "
      "step_key = ?) AND state <> 'done'",
      {now, provider, provider, std::string(to)}));
  PC_RETURN_IF_ERROR(
      tx.Execute("UPDATE provider_steps SET state = 'running', updated_at = "
                 "? WHERE provider_id = ? AND step_key = ?",
                 {now, provider, std::string(to)}));
  return {};
}

Status OnboardingStore::RecordAttempt(Transaction& tx, const std::string& provider,
                                      std::string_view visible, const std::string& message) {
  PC_RETURN_IF_ERROR(tx.Execute(
      "UPDATE provider_steps SET attempts = attempts + 1, last_error = ?, updated_at = ? "
      "WHERE provider_id = ? AND step_key = ?",
      {message, FormatTimestamp(Now()), provider, std::string(visible)}));
  return {};
}

namespace {

// The provider's webhook event (webhooks/events.h), in the transaction of its state change.
Status ProviderEvent(Transaction& tx, const std::string& provider, std::string_view type,
                     const std::string& event_id) {
  PC_ASSIGN_OR_RETURN(store::Rows rows,
                      tx.Query("SELECT organization_id, name, billing_alias, state, state_reason, "
                               "azure_subscription_id FROM providers WHERE id = ?",
                               {provider}));
  if (rows.empty()) return {};
  const store::Row& p = rows[0];
  json::object data{{"providerId", provider},
                    {"name", p.Text("name")},
                    {"alias", p.Text("billing_alias")},
                    {"state", p.Text("state")},
                    {"reason", p.IsNull("state_reason") ? json::value(nullptr)
                                                        : json::value(p.Text("state_reason"))},
                    {"azureSubscriptionId", p.IsNull("azure_subscription_id")
                                                ? json::value(nullptr)
                                                : json::value(p.Text("azure_subscription_id"))}};
  return webhooks::EnqueueEvent(tx, p.Text("organization_id"), type, event_id, data);
}

}  // namespace

Status OnboardingStore::RecordFailure(Transaction& tx, const std::string& job_id,
                                      const std::string& provider, std::string_view visible,
                                      const std::string& message, const std::string& alias,
                                      const std::string& notify) {
  std::string now = FormatTimestamp(Now());
  PC_RETURN_IF_ERROR(tx.Execute(
      "UPDATE provider_steps SET state = 'failed', attempts = attempts + 1, last_error = ?, "
      "updated_at = ? WHERE provider_id = ? AND step_key = ?",
      {message, now, provider, std::string(visible)}));
  PC_RETURN_IF_ERROR(
      tx.Execute("UPDATE providers SET state = 'unavailable', state_reason = "
                 "?, updated_at = ? WHERE id = ?",
                 {message, now, provider}));
  PC_RETURN_IF_ERROR(tx.Execute(
      "INSERT INTO outbox_emails (id, to_address, subject, body, created_at) VALUES (?, ?, "
      "?, ?, ?)",
      {connectors::NameBasedId(job_id + ":unavailable:" + now), notify,
       "Your Azure provider is unavailable",
       "The provider on billing alias " + alias + " stopped: " + message +
           "\nAn operator can resume it once this is fixed.",
       now}));
  return ProviderEvent(tx, provider, "provider.unavailable",
                       "provider:" + provider + ":unavailable:" + now);
}

Status OnboardingStore::RecordReady(Transaction& tx, const std::string& job_id,
                                    const std::string& provider, const std::string& alias,
                                    const std::string& notify) {
  std::string now = FormatTimestamp(Now());
  PC_RETURN_IF_ERROR(
      tx.Execute("UPDATE provider_steps SET state = 'done', last_error = NULL, "
                 "updated_at = ? WHERE provider_id = ?",
                 {now, provider}));
  PC_RETURN_IF_ERROR(
      tx.Execute("UPDATE providers SET state = 'ready', state_reason = NULL, "
                 "updated_at = ? WHERE id = ?",
                 {now, provider}));
  PC_RETURN_IF_ERROR(tx.Execute(
      "INSERT INTO outbox_emails (id, to_address, subject, body, created_at) VALUES (?, ?, "
      "?, ?, ?) ON CONFLICT (id) DO NOTHING",
      {connectors::NameBasedId(job_id + ":ready"), notify, "Your Azure provider is ready",
       "The Azure customer account and subscription for billing alias " + alias +
           " are ready to use.",
       now}));
  return ProviderEvent(tx, provider, "provider.ready", "provider:" + provider + ":ready");
}

}  // namespace pc::onboarding
