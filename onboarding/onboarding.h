// Onboarding: "Create a new Azure customer account", from Connect to a ready provider.
//
// Connect logs in to CenturyLink Cloud and lists the billing aliases with their eligibility.
// Save (CreateProvider) re-checks the alias, records the terms, and writes the provider, its
// five visible steps and a durable job in one transaction. The job (workflow.cpp) then talks to
// Partner Center and Azure one idempotent step at a time: a crash at any instant neither loses
// nor duplicates anything. One Azure customer per alias; a second provider on the same alias
// gets another Azure subscription under the same customer.
// Thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "connectors/arm_client.h"
#include "connectors/clc_client.h"
#include "connectors/graph_client.h"
#include "connectors/partner_center_client.h"
#include "core/secret_box.h"
#include "governance/catalog.h"
#include "identity/identity.h"
#include "jobs/runner.h"
#include "onboarding/connections.h"
#include "onboarding/eligibility.h"
#include "store/store.h"

namespace pc::onboarding {

struct OnboardingOptions {
  EligibilityPolicy policy;
  std::string centurylink_terms_version = "2017-01";
  std::string partner_tenant_id;
  std::string app_client_id;    // the platform's multi-tenant application
  std::string billing_account;  // Microsoft Partner Agreement billing account (extra subscriptions)
  std::chrono::seconds consistency_wait{300};  // how long a new customer may stay invisible
  // Called in the transaction that records a provider ready (its subscription is mapped to the
  // alias): the wiring attributes the usage kept aside for it (billing, a layer above).
  std::function<Status(store::Transaction&)> on_ready;
};

struct OnboardingDeps {
  store::Database& db;
  connectors::ClcClient& clc;
  connectors::PartnerCenterClient& partner_center;
  connectors::ArmClient& arm;
  connectors::GraphClient& graph;
  const SecretBox& secrets;
  const governance::PermittedServices& catalog;
  ClcConnections& connections;
};

struct ProviderStep {
  std::string key;
  std::string label;
  std::string state;  // pending | running | done | failed
  int64_t attempts = 0;
  std::optional<std::string> last_error;
};

// The existing Azure customer account of an existing-customer provider (never the secret).
struct ExistingAccountInfo {
  std::string subscription_id;
  std::string tenant_id;
  std::string client_id;
  std::string subscription_name;
};

struct Provider {
  std::string id;
  std::string organization_id;
  std::string name;
  std::string description;
  std::string type;
  std::string mode;           // new-customer | existing-customer
  std::string billing_alias;  // "" for existing-customer (answered null)
  bool billed = true;         // false for existing-customer: never on the CLC invoice
  bool supported = true;      // false for existing-customer: the partner does not support it
  std::optional<ExistingAccountInfo> existing_account;
  std::string state;  // processing | ready | unavailable
  std::optional<std::string> state_reason;
  std::vector<ProviderStep> steps;
  std::optional<std::string> customer_id;
  std::optional<std::string> tenant_domain;
  std::vector<std::string> subscription_ids;
  bool admin_credentials_available = false;
  std::string created_at;
  std::string updated_at;
};

struct Contact {
  std::string first_name, last_name, email, phone_number;
};

struct TermsInput {
  std::string centurylink_version;
  std::string microsoft_template_id;
  Contact contact;
};

// "Use an existing Azure customer account": an application of the customer's own tenant.
struct ExistingAccount {
  std::string subscription_id;
  std::string tenant_id;  // GUID or domain
  std::string client_id;
  std::string client_secret;
};

struct NewProvider {
  std::string name;
  std::string description;
  std::string type;  // "azure-resource-manager"
  std::string mode;  // "new-customer" or "existing-customer"
  // new-customer:
  std::string connection_id;
  std::string billing_alias;
  std::optional<TermsInput> terms;  // may be omitted while the alias's acceptance is current
  // existing-customer:
  std::optional<ExistingAccount> existing_account;
};

struct AdminCredentials {
  std::string user_name;
  std::string password;
};

// The five steps, in order, with the seed's labels.
const std::vector<std::pair<std::string, std::string>>& StepLabels();

class OnboardingService {
 public:
  OnboardingService(OnboardingDeps deps, OnboardingOptions options);

  // Logs in to CLC (the password is used once and kept nowhere), checks the AccountAdmin role,
  // lists the account and its sub-accounts with their eligibility. Errors, in the seed's order:
  // codes::kClcLoginFailed with CLC's message; PermissionDenied with the non-admin message;
  // PermissionDenied with the not-billable or territory message when no alias is billable.
  Result<ClcConnection> Connect(const identity::Principal& who, const std::string& username,
                                const std::string& password, std::string_view client_addr);
  // The terms to accept: the CenturyLink version and the Microsoft Customer Agreement template.
  Result<json::object> Terms();

  // Org admins. new-customer: writes the provider (processing) and its job. existing-customer:
  // gets a token from Entra with the customer's application (client credentials in its tenant)
  // and reads the subscription from ARM with it; the secret is sealed at rest; the provider is
  // ready at once, not billed and not supported, and no Partner Center call is made. A refusal
  // is codes::kExistingAccountRejected (an InvalidArgument); a subscription this
  // platform already bills is a Conflict.
  Result<Provider> CreateProvider(const identity::Principal& who, const NewProvider& in);
  // Providers not deleted, newest first: the organization's, or all for partner staff.
  Result<std::vector<Provider>> ListProviders(const identity::Principal& who);
  // NotFound for another organization's provider (unless partner staff) or a deleted one.
  Result<Provider> GetProvider(const identity::Principal& who, std::string_view id);
  // Org admins of the provider's organization and operators: hides the provider from lists and
  // reads (it stays in the database, its Azure subscription stays billed; nothing in Azure is
  // stopped) and wipes an existing account's secret; audited. FailedPrecondition while its
  // workflow is still processing; PermissionDenied for others of the organization; NotFound
  // for other organizations.
  Status DeleteProvider(const identity::Principal& who, std::string_view id);
  // A short text that changes whenever the provider's state, steps or deletion change (one
  // small query; for event streams to poll cheaply). No authorization: call GetProvider first.
  Result<std::string> ProviderVersion(std::string_view id);
  // Operators: restarts a failed workflow at the step where it stopped.
  Result<Provider> Resume(const identity::Principal& who, std::string_view id);
  // The new tenant's initial admin login, once, to an org admin of the provider's organization.
  Result<AdminCredentials> TakeAdminCredentials(const identity::Principal& who,
                                                std::string_view id);

  // Registers the onboarding workflow's step handlers on the runner.
  void RegisterWorkflow(jobs::JobRunner& runner);

 private:
  Result<Provider> CreateExistingProvider(const identity::Principal& who, const NewProvider& in);
  // The provider, deleted or not (`deleted` tells).
  Result<Provider> Load(store::Transaction& tx, std::string_view id, bool* deleted = nullptr);

  OnboardingDeps deps_;
  OnboardingOptions options_;
  std::mutex template_mu_;
  std::string template_id_;  // cached MCA template id
};

json::object ToJson(const Provider& p);
json::object ToJson(const ClcConnection& c);

}  // namespace pc::onboarding
