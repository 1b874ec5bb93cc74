// What the onboarding workflow reads and writes in the database: the billing alias's recorded
// Azure ids, the provider row and its five visible steps, and the emails it announces. Every
// write is idempotent (a step may run again after a crash). Thread-safe as store::Database is.
#pragma once

#include <optional>
#include <string>

#include "core/json.h"
#include "core/result.h"
#include "store/store.h"

namespace pc::onboarding {

// A billing alias as the workflow needs it: the CLC account at Save and the Azure ids recorded
// so far (absent until a step records them).
struct AliasRow {
  std::string alias, company_name, country, organization_id;
  json::object snapshot;  // CLC account details (addressLine1, city, stateProvince, postalCode)
  std::optional<std::string> tenant_domain, customer_id, plan_subscription_id;
};

class OnboardingStore {
 public:
  explicit OnboardingStore(store::Database& db) : db_(db) {}

  // NotFound when the alias is not recorded.
  Result<AliasRow> LoadAlias(const std::string& alias);
  // The id of the alias's first provider that is not unavailable ("" if none).
  Result<std::string> FirstLiveProvider(const std::string& alias);
  // Records the chosen tenant domain unless one is recorded already.
  Status SaveTenantDomain(const std::string& alias, const std::string& domain);
  // Forgets the tenant domain (taken by someone else) while no customer is recorded.
  Status ClearTenantDomain(const std::string& alias);
  // Records the customer id and, for a new tenant, its first admin's login on the provider
  // (password sealed by the caller) unless it was shown already. One transaction.
  Status SaveCustomer(const std::string& alias, const std::string& customer_id,
                      const std::string& provider_id,
                      const std::optional<std::pair<std::string, std::string>>& admin_sealed);
  Status SavePlanSubscription(const std::string& alias, const std::string& plan_subscription_id);
  // Maps the Azure subscription to the alias (ids in lower case, as the usage import reads
  // them) and records it on the provider. One transaction.
  Status AssociateSubscription(const AliasRow& alias, const std::string& provider_id,
                               const std::string& subscription_id);

  // In the transaction that records a step's result (jobs::StepObserver):
  // the visible step `from` is done and `to` running (with any between them done).
  static Status RecordAdvance(store::Transaction& tx, const std::string& provider_id,
                              std::string_view from, std::string_view to);
  // A failed attempt of visible step `visible`, with its message.
  static Status RecordAttempt(store::Transaction& tx, const std::string& provider_id,
                              std::string_view visible, const std::string& message);
  // The provider stopped at `visible`: unavailable with `message`, and an email to `notify`.
  static Status RecordFailure(store::Transaction& tx, const std::string& job_id,
                              const std::string& provider_id, std::string_view visible,
                              const std::string& message, const std::string& alias,
                              const std::string& notify);
  // The provider is ready, and an email to `notify` (once).
  static Status RecordReady(store::Transaction& tx, const std::string& job_id,
                            const std::string& provider_id, const std::string& alias,
                            const std::string& notify);

 private:
  store::Database& db_;
};

}  // namespace pc::onboarding
