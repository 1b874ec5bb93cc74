#include "onboarding/onboarding.h"

#include <algorithm>

#include "core/error_codes.h"
#include "core/text.h"
#include "core/time.h"
#include "core/uuid.h"

namespace pc::onboarding {

using identity::Principal;
using identity::Role;
using store::Param;
using store::Transaction;

namespace {

constexpr size_t kMaxName = 100;
constexpr size_t kMaxDescription = 1000;

bool IsStaff(const Principal& who) { return identity::IsPartnerStaff(who.user.role); }

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

json::object ContactJson(const Contact& c) {
  return {{"firstName", c.first_name},
          {"lastName", c.last_name},
          {"email", c.email},
          {"phoneNumber", c.phone_number}};
}

json::object AccountJson(const connectors::ClcAccount& a) {
  return {{"alias", a.alias},
          {"parentAlias", a.parent_alias},
          {"businessName", a.business_name},
          {"addressLine1", a.address_line1},
          {"city", a.city},
          {"stateProvince", a.state_province},
          {"postalCode", a.postal_code},
          {"country", a.country},
          {"status", a.status},
          {"accountType", a.account_type}};
}

Status ValidateContact(const Contact& c) {
  if (c.first_name.empty() || c.first_name.size() > 50 || c.last_name.empty() ||
      c.last_name.size() > 50) {
    return InvalidArgument(
        "The Microsoft Customer Agreement contact needs a first and a last "
        "name of 1 to 50 characters");
  }
  auto at = c.email.find('@');
  if (at == std::string::npos || at == 0 || at + 1 >= c.email.size() || c.email.size() > 254) {
    return InvalidArgument("The Microsoft Customer Agreement contact needs an email address");
  }
  if (c.phone_number.size() > 40) return InvalidArgument("The contact's phone number is too long");
  // Sent to Microsoft and shown to people: one line of text each.
  PC_RETURN_IF_ERROR(CheckLineText("contact.firstName", c.first_name, 50));
  PC_RETURN_IF_ERROR(CheckLineText("contact.lastName", c.last_name, 50));
  PC_RETURN_IF_ERROR(CheckLineText("contact.email", c.email, 254));
  PC_RETURN_IF_ERROR(CheckLineText("contact.phoneNumber", c.phone_number, 40));
  return {};
}

constexpr std::string_view kRejectedPrefix = "The existing Azure account was refused: ";

// 8-4-4-4-12 hexadecimal digits.
bool IsGuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// A tenant id (GUID) or an Entra domain such as contoso.onmicrosoft.com.
bool IsTenant(std::string_view s) {
  if (IsGuid(s)) return true;
  if (s.empty() || s.size() > 253 || s.find('.') == std::string_view::npos) return false;
  return std::all_of(s.begin(), s.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '.' || c == '-'; });
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

Status ValidateExistingAccount(const ExistingAccount& a) {
  if (!IsGuid(a.subscription_id)) {
    return InvalidArgument(
        "Field 'existingAccount.subscriptionId' must be the Azure subscription's id, a GUID "
        "such as 0b1f6471-1bf0-4dda-aec3-cb9272f09590");
  }
  if (!IsTenant(a.tenant_id)) {
    return InvalidArgument(
        "Field 'existingAccount.tenantId' must be the directory (tenant) id, a GUID, or its "
        "domain such as contoso.onmicrosoft.com");
  }
  if (!IsGuid(a.client_id)) {
    return InvalidArgument(
        "Field 'existingAccount.clientId' must be the application (client) id, a GUID");
  }
  if (a.client_secret.empty() || a.client_secret.size() > 1024) {
    return InvalidArgument(
        "Field 'existingAccount.clientSecret' must be the application's client secret value "
        "(1 to 1024 characters)");
  }
  return {};
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& StepLabels() {
  static const std::vector<std::pair<std::string, std::string>> steps = {
      {"details", "Provides Microsoft your account details"},
      {"customer", "Creates an Azure Customer account on your behalf"},
      {"subscription", "Creates a Microsoft Azure Subscription for that Customer account"},
      {"associate", "Associates your Azure Customer account with your CenturyLink Cloud account"},
      {"permissions", "Grants the platform the appropriate permissions to work on your behalf"},
  };
  return steps;
}

OnboardingService::OnboardingService(OnboardingDeps deps, OnboardingOptions options)
    : deps_(deps), options_(std::move(options)) {}

Result<ClcConnection> OnboardingService::Connect(const Principal& who, const std::string& username,
                                                 const std::string& password,
                                                 std::string_view client_addr) {
  if (who.user.role != Role::kOrgAdmin) {
    return PermissionDenied("Only an organization admin can connect a CenturyLink Cloud account");
  }
  if (username.empty() || password.empty()) {
    return InvalidArgument(
        "Enter the username and password of a CenturyLink Cloud Account "
        "Administrator");
  }
  auto clc_login = deps_.clc.Login(username, password);
  if (!clc_login.ok() && clc_login.error().code == ErrorCode::kUnauthenticated) {
    // CenturyLink Cloud refused the login: its own message, and not a 401 of ours.
    return Error(codes::kClcLoginFailed, clc_login.error().message);
  }
  PC_ASSIGN_OR_RETURN(connectors::ClcLogin login, std::move(clc_login));
  if (!IsAccountAdmin(login.roles)) return PermissionDenied(std::string(kNotAdminMessage));
  PC_ASSIGN_OR_RETURN(connectors::ClcAccount home,
                      deps_.clc.GetAccount(login.bearer_token, login.account_alias));
  PC_ASSIGN_OR_RETURN(auto subs,
                      deps_.clc.ListSubAccounts(login.bearer_token, login.account_alias));
  ClcConnection c;
  c.user_id = who.user.id;
  c.login = login;
  c.accounts.push_back(home);
  c.accounts.insert(c.accounts.end(), subs.begin(), subs.end());
  c.aliases = EvaluateAliases(c.accounts, options_.policy);
  bool any = std::any_of(c.aliases.begin(), c.aliases.end(),
                         [](const BillingAliasChoice& a) { return a.billable; });
  if (!any) return PermissionDenied(c.aliases.front().message);
  auto stored = deps_.connections.Add(std::move(c));
  Principal actor = who;
  actor.client_addr = std::string(client_addr);
  PC_RETURN_IF_ERROR(deps_.db.InTransaction([&](Transaction& tx) -> Status {
    return identity::IdentityService::Audit(tx, actor, who.organization.id, "clc.connected",
                                            "clc_account", login.account_alias,
                                            json::object{{"clcUserName", login.user_name}});
  }));
  return stored;
}

Result<json::object> OnboardingService::Terms() {
  std::string template_id;
  {
    std::lock_guard lock(template_mu_);
    template_id = template_id_;
  }
  if (template_id.empty()) {
    PC_ASSIGN_OR_RETURN(template_id, deps_.partner_center.CustomerAgreementTemplateId({}));
    std::lock_guard lock(template_mu_);
    template_id_ = template_id;
  }
  return json::object{{"centurylink", {{"version", options_.centurylink_terms_version}}},
                      {"microsoft",
                       {{"agreementType", "MicrosoftCustomerAgreement"},
                        {"templateId", template_id},
                        {"agreementLink", "https://aka.ms/customeragreement"}}}};
}

Result<Provider> OnboardingService::CreateProvider(const Principal& who, const NewProvider& in) {
  if (who.user.role != Role::kOrgAdmin) {
    return PermissionDenied("Only an organization admin can create a provider");
  }
  if (in.type != "azure-resource-manager") {
    return InvalidArgument("Field 'type' must be \"azure-resource-manager\"");
  }
  if (in.mode != "new-customer" && in.mode != "existing-customer") {
    return InvalidArgument("Field 'mode' must be \"new-customer\" or \"existing-customer\"");
  }
  if (in.name.empty() || in.name.size() > kMaxName) {
    return InvalidArgument("Field 'name' is required and has at most 100 characters");
  }
  if (in.description.size() > kMaxDescription) {
    return InvalidArgument("Field 'description' has at most 1000 characters");
  }
  PC_RETURN_IF_ERROR(CheckLineText("name", in.name, kMaxName));
  PC_RETURN_IF_ERROR(CheckMultilineText("description", in.description, kMaxDescription));
  if (in.mode == "existing-customer") return CreateExistingProvider(who, in);
  auto connection = deps_.connections.Find(in.connection_id, who.user.id);
  if (!connection) {
    return FailedPrecondition(
        "The CenturyLink Cloud connection is unknown or has expired (it "
        "lasts 15 minutes); connect the account again");
  }
  std::string alias = Upper(in.billing_alias);
  auto choice = std::find_if(connection->aliases.begin(), connection->aliases.end(),
                             [&](const BillingAliasChoice& c) { return c.alias == alias; });
  if (choice == connection->aliases.end()) {
    return InvalidArgument("Billing alias '" + alias +
                           "' is not one of the connected account's "
                           "aliases");
  }
  // Check the alias again with CLC at Save.
  PC_ASSIGN_OR_RETURN(connectors::ClcAccount fresh,
                      deps_.clc.GetAccount(connection->login.bearer_token, alias));
  std::vector<connectors::ClcAccount> accounts = connection->accounts;
  for (auto& a : accounts) {
    if (Upper(a.alias) == alias) a = fresh;
  }
  auto evaluated = EvaluateAliases(accounts, options_.policy);
  for (const auto& c : evaluated) {
    if (c.alias == alias && !c.billable) return PermissionDenied(c.message);
  }
  PC_ASSIGN_OR_RETURN(json::object terms_now, Terms());
  std::string template_id(terms_now.at("microsoft").at("templateId").as_string());
  if (in.terms) {
    if (in.terms->centurylink_version != options_.centurylink_terms_version) {
      return InvalidArgument("Accept the current CenturyLink terms (version " +
                             options_.centurylink_terms_version + ")");
    }
    if (in.terms->microsoft_template_id != template_id) {
      return InvalidArgument("Accept the current Microsoft Customer Agreement (templateId " +
                             template_id + ")");
    }
    PC_RETURN_IF_ERROR(ValidateContact(in.terms->contact));
  }

  Provider created;
  std::string now = FormatTimestamp(Now());
  std::string provider_id = Uuid::V7().ToString();
  PC_RETURN_IF_ERROR(deps_.db.InTransaction([&](Transaction& tx) -> Status {
    // One organization per alias.
    PC_ASSIGN_OR_RETURN(auto owner, tx.Query("SELECT organization_id FROM billing_aliases "
                                             "WHERE alias = ?",
                                             {alias}));
    if (!owner.empty() && owner[0].Text("organization_id") != who.organization.id) {
      return Conflict("Billing alias " + alias + " is already used by another organization");
    }
    if (owner.empty()) {
      PC_RETURN_IF_ERROR(tx.Execute(
          "INSERT INTO billing_aliases (alias, organization_id, company_name, country, "
          "account_snapshot, created_at, updated_at, currency) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          {alias, who.organization.id, fresh.business_name, NormalizeCountry(fresh.country),
           json::serialize(AccountJson(fresh)), now, now, BillingCurrencyOf(fresh.country)}));
    } else {
      PC_RETURN_IF_ERROR(tx.Execute(
          "UPDATE billing_aliases SET company_name = ?, country = ?, account_snapshot = ?, "
          "updated_at = ?, currency = ? WHERE alias = ?",
          {fresh.business_name, NormalizeCountry(fresh.country),
           json::serialize(AccountJson(fresh)), now, BillingCurrencyOf(fresh.country), alias}));
    }
    // Terms: recorded per alias; not asked again while the versions are current.
    Contact contact;
    if (in.terms) {
      contact = in.terms->contact;
      PC_RETURN_IF_ERROR(
          tx.Execute("INSERT INTO terms_acceptances (id, billing_alias, organization_id, user_id, "
                     "clc_user_name, centurylink_terms_version, microsoft_template_id, contact, "
                     "accepted_at, client_addr) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     {Uuid::V7().ToString(), alias, who.organization.id, who.user.id,
                      connection->login.user_name, in.terms->centurylink_version, template_id,
                      json::serialize(ContactJson(contact)), now, who.client_addr}));
    } else {
      PC_ASSIGN_OR_RETURN(
          auto accepted,
          tx.Query("SELECT contact FROM terms_acceptances WHERE billing_alias = ? AND "
                   "centurylink_terms_version = ? AND microsoft_template_id = ? "
                   "ORDER BY accepted_at DESC LIMIT 1",
                   {alias, options_.centurylink_terms_version, template_id}));
      if (accepted.empty()) {
        return InvalidArgument(
            "Accept CenturyLink's terms and the Microsoft Customer Agreement "
            "for billing alias " +
            alias);
      }
      auto c = ParseJsonObject(accepted[0].Text("contact"));
      if (c.ok()) {
        contact = {
            std::string(c->at("firstName").as_string()), std::string(c->at("lastName").as_string()),
            std::string(c->at("email").as_string()), std::string(c->at("phoneNumber").as_string())};
      }
    }
    json::object data{{"providerId", provider_id},
                      {"alias", alias},
                      {"organizationId", who.organization.id},
                      {"templateId", template_id},
                      {"contact", ContactJson(contact)},
                      {"notify", who.user.email}};
    std::string job_id = Uuid::V7().ToString();
    PC_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO providers (id, organization_id, created_by, name, description, type, mode, "
        "billing_alias, state, job_id, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'processing', ?, ?, ?)",
        {provider_id, who.organization.id, who.user.id, in.name, in.description, in.type, in.mode,
         alias, job_id, now, now}));
    int64_t position = 0;
    for (const auto& [key, label] : StepLabels()) {
      PC_RETURN_IF_ERROR(tx.Execute(
          "INSERT INTO provider_steps (provider_id, position, step_key, label, state, attempts, "
          "updated_at) VALUES (?, ?, ?, ?, ?, 0, ?)",
          {provider_id, ++position, key, label, std::string(position == 1 ? "running" : "pending"),
           now}));
    }
    PC_RETURN_IF_ERROR(jobs::JobRunner::Enqueue(tx, "onboarding", "eligibility", data, job_id));
    PC_RETURN_IF_ERROR(identity::IdentityService::Audit(
        tx, who, who.organization.id, "provider.created", "provider", provider_id,
        json::object{{"name", in.name},
                     {"billingAlias", alias},
                     {"clcUserName", connection->login.user_name},
                     {"termsAccepted", in.terms.has_value()}}));
    PC_ASSIGN_OR_RETURN(created, Load(tx, provider_id));
    return {};
  }));
  return created;
}

Result<Provider> OnboardingService::Load(Transaction& tx, std::string_view id, bool* deleted) {
  PC_ASSIGN_OR_RETURN(
      auto rows,
      tx.Query("SELECT p.id, p.organization_id, p.name, p.description, p.type, p.mode, "
               "p.billing_alias, p.state, p.state_reason, p.azure_subscription_id, "
               "p.admin_password_sealed, p.created_at, p.updated_at, p.deleted_at, b.customer_id, "
               "b.tenant_domain, e.subscription_id AS existing_subscription_id, e.tenant_id AS "
               "existing_tenant_id, e.client_id AS existing_client_id, e.subscription_name AS "
               "existing_subscription_name FROM providers p LEFT JOIN billing_aliases b ON "
               "b.alias = p.billing_alias LEFT JOIN provider_existing_accounts e ON "
               "e.provider_id = p.id WHERE p.id = ?",
               {std::string(id)}));
  if (rows.empty()) return NotFound("Provider not found");
  const auto& r = rows[0];
  if (deleted) *deleted = !r.IsNull("deleted_at");
  Provider p;
  p.id = r.Text("id");
  p.organization_id = r.Text("organization_id");
  p.name = r.Text("name");
  p.description = r.Text("description");
  p.type = r.Text("type");
  p.mode = r.Text("mode");
  if (!r.IsNull("billing_alias")) p.billing_alias = r.Text("billing_alias");
  p.billed = p.supported = p.mode != "existing-customer";
  if (!r.IsNull("existing_subscription_id")) {
    p.existing_account = ExistingAccountInfo{
        r.Text("existing_subscription_id"), r.Text("existing_tenant_id"),
        r.Text("existing_client_id"),
        r.IsNull("existing_subscription_name") ? "" : r.Text("existing_subscription_name")};
    p.subscription_ids.push_back(p.existing_account->subscription_id);
  }
  p.state = r.Text("state");
  if (!r.IsNull("state_reason")) p.state_reason = r.Text("state_reason");
  if (!r.IsNull("customer_id")) p.customer_id = r.Text("customer_id");
  if (!r.IsNull("tenant_domain") && p.customer_id) p.tenant_domain = r.Text("tenant_domain");
  if (!r.IsNull("azure_subscription_id"))
    p.subscription_ids.push_back(r.Text("azure_subscription_id"));
  p.admin_credentials_available = !r.IsNull("admin_password_sealed");
  p.created_at = r.Text("created_at");
  p.updated_at = r.Text("updated_at");
  PC_ASSIGN_OR_RETURN(auto steps,
                      tx.Query("SELECT step_key, label, state, attempts, last_error FROM "
                               "provider_steps WHERE provider_id = ? ORDER BY position",
                               {p.id}));
  for (const auto& s : steps) {
    ProviderStep step{s.Text("step_key"), s.Text("label"), s.Text("state"), s.Int("attempts"), {}};
    if (!s.IsNull("last_error")) step.last_error = s.Text("last_error");
    p.steps.push_back(std::move(step));
  }
  return p;
}

Result<std::vector<Provider>> OnboardingService::ListProviders(const Principal& who) {
  PC_ASSIGN_OR_RETURN(auto tx, deps_.db.Begin());
  std::string sql = "SELECT id FROM providers WHERE deleted_at IS NULL";
  std::vector<Param> params;
  if (!IsStaff(who)) {
    sql += " AND organization_id = ?";
    params.emplace_back(who.organization.id);
  }
  sql += " ORDER BY created_at DESC, id DESC LIMIT 500";
  PC_ASSIGN_OR_RETURN(auto rows, tx->Query(sql, params));
  std::vector<Provider> out;
  for (const auto& r : rows) {
    PC_ASSIGN_OR_RETURN(auto p, Load(*tx, r.Text("id")));
    out.push_back(std::move(p));
  }
  return out;
}

Result<Provider> OnboardingService::GetProvider(const Principal& who, std::string_view id) {
  PC_ASSIGN_OR_RETURN(auto tx, deps_.db.Begin());
  bool deleted = false;
  auto p = Load(*tx, id, &deleted);
  if (!p.ok()) return p.error();
  if (deleted || (!IsStaff(who) && p->organization_id != who.organization.id)) {
    return NotFound("Provider not found");
  }
  return p;
}

Result<std::string> OnboardingService::ProviderVersion(std::string_view id) {
  PC_ASSIGN_OR_RETURN(auto tx, deps_.db.Begin());
  PC_ASSIGN_OR_RETURN(
      auto rows,
      tx->Query("SELECT p.state, p.updated_at, p.deleted_at, (SELECT MAX(s.updated_at) FROM "
                "provider_steps s WHERE s.provider_id = p.id) AS steps_at, (SELECT SUM(s.attempts) "
                "FROM provider_steps s WHERE s.provider_id = p.id) AS attempts FROM providers p "
                "WHERE p.id = ?",
                {std::string(id)}));
  if (rows.empty()) return NotFound("Provider not found");
  const auto& r = rows[0];
  auto text = [&](std::string_view column) {
    return r.IsNull(column) ? std::string("-") : r.Text(column);
  };
  return text("state") + "|" + text("updated_at") + "|" + text("deleted_at") + "|" +
         text("steps_at") + "|" + (r.IsNull("attempts") ? "0" : std::to_string(r.Int("attempts")));
}

Status OnboardingService::DeleteProvider(const Principal& who, std::string_view id) {
  return deps_.db.InTransaction([&](Transaction& tx) -> Status {
    bool deleted = false;
    auto p = Load(tx, id, &deleted);
    if (!p.ok()) return p.error();
    bool own = p->organization_id == who.organization.id;
    if (deleted || (!own && !IsStaff(who))) return NotFound("Provider not found");
    if (!(own && who.user.role == Role::kOrgAdmin) && who.user.role != Role::kOperator) {
      return PermissionDenied(
          "Only an organization admin of the provider's organization or an operator can delete "
          "a provider");
    }
    if (p->state == "processing") {
      return FailedPrecondition(
          "The provider is still being set up; delete it once it is ready or unavailable");
    }
    std::string now = FormatTimestamp(Now());
    PC_RETURN_IF_ERROR(
        tx.Execute("UPDATE providers SET deleted_at = ?, updated_at = ? WHERE id = ?",
                   {now, now, std::string(id)}));
    PC_RETURN_IF_ERROR(tx.Execute(
        "UPDATE provider_existing_accounts SET client_secret_sealed = NULL WHERE provider_id = ?",
        {std::string(id)}));
    json::object detail{{"name", p->name},
                        {"mode", p->mode},
                        {"state", p->state},
                        {"note", "Nothing in Azure was stopped"}};
    if (!p->billing_alias.empty()) detail["billingAlias"] = p->billing_alias;
    json::array subs;
    for (const auto& s : p->subscription_ids) subs.push_back(json::value(s));
    detail["azureSubscriptionIds"] = std::move(subs);
    return identity::IdentityService::Audit(tx, who, p->organization_id, "provider.deleted",
                                            "provider", std::string(id), detail);
  });
}

Result<Provider> OnboardingService::CreateExistingProvider(const Principal& who,
                                                           const NewProvider& in) {
  if (!in.existing_account) {
    return InvalidArgument(
        "Mode existing-customer needs 'existingAccount': {subscriptionId, tenantId, clientId, "
        "clientSecret} of an application in the customer's own tenant");
  }
  ExistingAccount account = *in.existing_account;
  PC_RETURN_IF_ERROR(ValidateExistingAccount(account));
  account.subscription_id = Lower(account.subscription_id);
  account.client_id = Lower(account.client_id);
  account.tenant_id = Lower(account.tenant_id);
  // Entra first: a wrong secret is the commonest mistake and deserves its own message.
  auto tokens = deps_.arm.tokens().ForApplication(account.client_id, account.client_secret);
  auto token = tokens->Token(account.tenant_id, connectors::kArmAudience);
  if (!token.ok()) {
    if (token.error().code != ErrorCode::kUnauthenticated) return token.error();
    // Entra's own reason, after "Entra ID refused a token for <audience> in <tenant>: ".
    const std::string& refusal = token.error().message;
    size_t reason = refusal.find(": ");
    return Error(codes::kExistingAccountRejected,
                 std::string(kRejectedPrefix) + "Entra ID did not give application " +
                     account.client_id + " a token in tenant " + account.tenant_id +
                     " with this secret (" +
                     (reason == std::string::npos ? refusal : refusal.substr(reason + 2)) +
                     "). Check the Tenant ID, the Client ID and the Secret (the secret's "
                     "value, not its id).");
  }
  connectors::ArmClient arm = deps_.arm.WithTokens(*tokens);
  auto subscription = arm.GetSubscription(account.tenant_id, account.subscription_id);
  if (!subscription.ok()) {
    if (subscription.error().code != ErrorCode::kNotFound &&
        subscription.error().code != ErrorCode::kUnauthenticated) {
      return subscription.error();
    }
    return Error(codes::kExistingAccountRejected,
                 std::string(kRejectedPrefix) +
                     "Azure Resource Manager does not show "
                     "subscription " +
                     account.subscription_id + " to application " + account.client_id + " (" +
                     subscription.error().message +
                     "). Check the Subscription ID, and give the application a role "
                     "(such as Reader) on the subscription.");
  }

  Provider created;
  std::string now = FormatTimestamp(Now());
  std::string provider_id = Uuid::V7().ToString();
  std::string sealed = deps_.secrets.Seal(account.client_secret);
  PC_RETURN_IF_ERROR(deps_.db.InTransaction([&](Transaction& tx) -> Status {
    PC_ASSIGN_OR_RETURN(auto billed, tx.Query("SELECT billing_alias FROM azure_subscriptions_map "
                                              "WHERE azure_subscription_id = ?",
                                              {account.subscription_id}));
    if (!billed.empty()) {
      return Conflict("Azure subscription " + account.subscription_id +
                      " is already provided and billed by this platform (billing alias " +
                      billed[0].Text("billing_alias") +
                      "); it cannot be added as an existing "
                      "account");
    }
    PC_ASSIGN_OR_RETURN(
        auto same, tx.Query("SELECT p.id FROM provider_existing_accounts e JOIN providers p ON "
                            "p.id = e.provider_id WHERE e.subscription_id = ? AND "
                            "p.organization_id = ? AND p.deleted_at IS NULL",
                            {account.subscription_id, who.organization.id}));
    if (!same.empty()) {
      return Conflict("Azure subscription " + account.subscription_id +
                      " is already connected as provider " + same[0].Text("id"));
    }
    PC_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO providers (id, organization_id, created_by, name, description, type, mode, "
        "billing_alias, state, job_id, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 'ready', '', ?, ?)",
        {provider_id, who.organization.id, who.user.id, in.name, in.description, in.type, in.mode,
         now, now}));
    PC_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO provider_existing_accounts (provider_id, subscription_id, tenant_id, "
        "client_id, client_secret_sealed, subscription_name, checked_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        {provider_id, account.subscription_id, account.tenant_id, account.client_id, sealed,
         subscription->display_name, now}));
    PC_RETURN_IF_ERROR(identity::IdentityService::Audit(
        tx, who, who.organization.id, "provider.created", "provider", provider_id,
        json::object{{"name", in.name},
                     {"mode", in.mode},
                     {"azureSubscriptionId", account.subscription_id},
                     {"tenantId", account.tenant_id},
                     {"clientId", account.client_id},
                     {"billed", false},
                     {"supported", false}}));
    PC_ASSIGN_OR_RETURN(created, Load(tx, provider_id));
    return {};
  }));
  return created;
}

Result<Provider> OnboardingService::Resume(const Principal& who, std::string_view id) {
  if (who.user.role != Role::kOperator) {
    return PermissionDenied("Only operators can resume a provider's workflow");
  }
  Provider out;
  PC_RETURN_IF_ERROR(deps_.db.InTransaction([&](Transaction& tx) -> Status {
    PC_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT job_id, state FROM providers WHERE id = ? AND "
                                            "deleted_at IS NULL",
                                            {std::string(id)}));
    if (rows.empty()) return NotFound("Provider not found");
    if (rows[0].Text("state") != "unavailable") {
      return FailedPrecondition("Only an unavailable provider can be resumed; this one is " +
                                rows[0].Text("state"));
    }
    PC_RETURN_IF_ERROR(jobs::JobRunner::Resume(tx, rows[0].Text("job_id")));
    std::string now = FormatTimestamp(Now());
    PC_RETURN_IF_ERROR(
        tx.Execute("UPDATE providers SET state = 'processing', state_reason = NULL, "
                   "updated_at = ? WHERE id = ?",
                   {now, std::string(id)}));
    PC_RETURN_IF_ERROR(
        tx.Execute("UPDATE provider_steps SET state = 'running', updated_at = ? "
                   "WHERE provider_id = ? AND state = 'failed'",
                   {now, std::string(id)}));
    PC_ASSIGN_OR_RETURN(out, Load(tx, id));
    return identity::IdentityService::Audit(tx, who, out.organization_id, "provider.resumed",
                                            "provider", std::string(id));
  }));
  return out;
}

Result<AdminCredentials> OnboardingService::TakeAdminCredentials(const Principal& who,
                                                                 std::string_view id) {
  AdminCredentials creds;
  PC_RETURN_IF_ERROR(deps_.db.InTransaction([&](Transaction& tx) -> Status {
    PC_ASSIGN_OR_RETURN(auto rows,
                        tx.Query("SELECT organization_id, admin_user_name, admin_password_sealed, "
                                 "admin_credentials_shown_at FROM providers WHERE id = ? AND "
                                 "deleted_at IS NULL",
                                 {std::string(id)}));
    if (rows.empty() || rows[0].Text("organization_id") != who.organization.id) {
      return NotFound("Provider not found");
    }
    if (who.user.role != Role::kOrgAdmin) {
      return PermissionDenied("Only an organization admin can see the tenant's admin login");
    }
    if (rows[0].IsNull("admin_password_sealed")) {
      return FailedPrecondition(
          rows[0].IsNull("admin_credentials_shown_at")
              ? "The tenant's admin login is not available (yet): it comes with the new Azure "
                "customer account"
              : "The tenant's admin login was already shown once and has been wiped");
    }
    auto password = deps_.secrets.Open(rows[0].Text("admin_password_sealed"));
    if (!password.ok()) return Internal("The stored admin password cannot be decrypted");
    creds = {rows[0].Text("admin_user_name"), *password};
    std::string now = FormatTimestamp(Now());
    PC_RETURN_IF_ERROR(
        tx.Execute("UPDATE providers SET admin_password_sealed = NULL, "
                   "admin_credentials_shown_at = ? WHERE id = ?",
                   {now, std::string(id)}));
    return identity::IdentityService::Audit(tx, who, who.organization.id,
                                            "provider.admin_credentials_shown", "provider",
                                            std::string(id));
  }));
  return creds;
}

json::object ToJson(const Provider& p) {
  json::array steps;
  for (const auto& s : p.steps) {
    steps.push_back(json::object{
        {"key", s.key},
        {"label", s.label},
        {"state", s.state},
        {"attempts", s.attempts},
        {"lastError", s.last_error ? json::value(*s.last_error) : json::value(nullptr)}});
  }
  json::array subs;
  for (const auto& s : p.subscription_ids) subs.push_back(json::value(s));
  return {
      {"id", p.id},
      {"organizationId", p.organization_id},
      {"name", p.name},
      {"description", p.description},
      {"type", p.type},
      {"mode", p.mode},
      {"state", p.state},
      {"stateReason", p.state_reason ? json::value(*p.state_reason) : json::value(nullptr)},
      {"billingAlias",
       p.billing_alias.empty() ? json::value(nullptr) : json::value(p.billing_alias)},
      {"billed", p.billed},
      {"supported", p.supported},
      {"existingAccount",
       p.existing_account
           ? json::value(json::object{{"subscriptionId", p.existing_account->subscription_id},
                                      {"tenantId", p.existing_account->tenant_id},
                                      {"clientId", p.existing_account->client_id},
                                      {"subscriptionName", p.existing_account->subscription_name}})
           : json::value(nullptr)},
      {"steps", steps},
      {"azure",
       {{"customerId", p.customer_id ? json::value(*p.customer_id) : json::value(nullptr)},
        {"tenantDomain", p.tenant_domain ? json::value(*p.tenant_domain) : json::value(nullptr)},
        {"subscriptionIds", subs}}},
      {"adminCredentialsAvailable", p.admin_credentials_available},
      {"createdAt", p.created_at},
      {"updatedAt", p.updated_at}};
}

json::object ToJson(const ClcConnection& c) {
  json::array aliases;
  for (const auto& a : c.aliases) {
    aliases.push_back(json::object{
        {"alias", a.alias},
        {"name", a.name},
        {"billable", a.billable},
        {"reason", a.reason.empty() ? json::value(nullptr) : json::value(a.reason)},
        {"message", a.message.empty() ? json::value(nullptr) : json::value(a.message)}});
  }
  return {{"connectionId", c.id},
          {"expiresAt",
           FormatTimestamp(std::chrono::time_point_cast<std::chrono::microseconds>(c.expires_at))},
          {"userName", c.login.user_name},
          {"accountAlias", c.login.account_alias},
          {"billingAliases", aliases}};
}

}  // namespace pc::onboarding
