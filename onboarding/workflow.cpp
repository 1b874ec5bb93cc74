// The onboarding workflow: one idempotent step at a time, run by the durable job runner.
// Each step first looks for what an earlier attempt may already have done (customer by domain,
// the alias's recorded ids, deterministic ARM names) and sends Partner Center the same
// MS-RequestId for the same logical call, so a crash or a retry never acts twice.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/algorithm/string/case_conv.hpp>
#include <cctype>

#include "core/time.h"
#include "onboarding/onboarding.h"

namespace pc::onboarding {

using connectors::PcCall;
using connectors::PcResult;
using jobs::Job;
using jobs::StepResult;
using store::Param;
using store::Transaction;

namespace {

constexpr std::string_view kAzurePlanOffer = "DZH318Z0BPS6:0001:DZH318Z0BML6";
constexpr std::string_view kRoleApiVersion = "2022-04-01";
constexpr std::string_view kPolicyApiVersion = "2023-04-01";
constexpr std::string_view kProvidersApiVersion = "2021-04-01";
constexpr std::string_view kAliasApiVersion = "2021-10-01";
constexpr std::chrono::milliseconds kPoll{200};

// Which of the five visible steps a job step belongs to.
std::string VisibleStep(std::string_view job_step) {
  if (job_step == "eligibility" || job_step == "domain") return "details";
  if (job_step == "customer" || job_step == "agreement") return "customer";
  if (job_step == "order" || job_step == "provisioning" || job_step == "entitlement" ||
      job_step == "second_subscription") {
    return "subscription";
  }
  if (job_step == "associate") return "associate";
  return "permissions";
}

std::string Str(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : "";
}

// The MS-RequestId of a logical call: the same for every retry after a timeout or a 5xx (so
// Partner Center replays its first answer instead of acting twice), a new one once an answer
// said "not found yet" (a replay of that answer would never change).
PcCall CallFor(const Job& job, std::string_view name) {
  std::string round;
  if (const auto* r = job.data.if_contains("round:" + job.step); r && r->is_int64()) {
    round = ":" + std::to_string(r->as_int64());
  }
  return {connectors::NameBasedId(job.id + ":" + std::string(name) + round), job.id};
}

// A failed upstream answer as a step result: throttling and server errors are retried
// (honouring Retry-After); anything else needs a person.
StepResult FromFault(std::string_view what, const connectors::PcFault& f) {
  std::string message = std::string(what) + ": Partner Center answered " +
                        std::to_string(f.status) +
                        (f.code ? " (code " + std::to_string(f.code) + ")" : "") + ": " + f.message;
  if (f.status == 429 || f.status >= 500) return StepResult::Retry(message, f.retry_after);
  return StepResult::Fail(message);
}

StepResult FromArm(std::string_view what, const connectors::ArmResult& r) {
  std::string message = std::string(what) + ": Azure Resource Manager answered " +
                        std::to_string(r.status) +
                        (r.error_code.empty() ? "" : " " + r.error_code) + ": " + r.message;
  // A new subscription can take a moment to be visible; other 404s are permanent.
  // The job retries later; a throttled call waits at least its Retry-After there too.
  if (r.status == 429 || r.status >= 500 ||
      (r.status == 404 && r.error_code == "SubscriptionNotFound")) {
    return StepResult::Retry(message, r.retry_after);
  }
  return StepResult::Fail(message);
}

// An upstream that gave no usable answer: try the step again later, no sooner than it asked.
StepResult RetryOn(const Error& e) { return StepResult::Retry(e.message, e.retry_after); }

// Waits for eventual consistency, but not forever.
StepResult WaitOrFail(Job& job, std::chrono::seconds limit, std::string why) {
  auto now = Now();
  std::string key = "waitingSince:" + job.step;
  if (!job.data.contains(key)) job.data[key] = FormatTimestamp(now);
  auto since = ParseTimestamp(Str(job.data, key));
  if (since.ok() && now - *since > limit) {
    return StepResult::Fail(why + " (still not visible after " + std::to_string(limit.count()) +
                            " seconds)");
  }
  const auto* round = job.data.if_contains("round:" + job.step);
  job.data["round:" + job.step] = round && round->is_int64() ? round->as_int64() + 1 : 1;
  return StepResult::Wait(kPoll, why);
}

// The tenant domain prefix from the alias: lower-case letters and digits.
std::string DomainPrefix(const std::string& alias) {
  std::string out;
  for (char c : alias) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out.empty() ? "customer" : out;
}

struct AliasRow {
  std::string alias, company_name, country, organization_id;
  json::object snapshot;
  std::optional<std::string> tenant_domain, customer_id, plan_subscription_id;
};

Result<AliasRow> LoadAlias(store::Database& db, const std::string& alias) {
  PC_ASSIGN_OR_RETURN(auto tx, db.Begin());
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

Status Exec(store::Database& db, const std::string& sql, const std::vector<Param>& params) {
  return db.InTransaction([&](Transaction& tx) -> Status {
    PC_RETURN_IF_ERROR(tx.Execute(sql, params));
    return {};
  });
}

}  // namespace

void OnboardingService::RegisterWorkflow(jobs::JobRunner& runner) {
  runner.Register(
      "onboarding", [this](Job& job) { return RunStep(job); },
      [this](Transaction& tx, const Job& job, const StepResult& r) {
        return ObserveStep(tx, job, r);
      });
}

StepResult OnboardingService::RunStep(Job& job) {
  auto& db = deps_.db;
  std::string alias = Str(job.data, "alias");
  auto loaded = LoadAlias(db, alias);
  if (!loaded.ok()) return StepResult::Fail(loaded.error().message);
  AliasRow a = std::move(*loaded);
  const std::string& step = job.step;

  if (step == "eligibility") {
    // The alias was checked with CLC at Save; the territory policy may have changed since.
    const auto& allowed = options_.policy.allowed_countries;
    if (std::find(allowed.begin(), allowed.end(), a.country) == allowed.end()) {
      return StepResult::Fail(std::string(kTerritoryMessage));
    }
    if (a.customer_id && a.plan_subscription_id) {
      job.data["secondSubscription"] = true;
      return StepResult::Next("second_subscription");
    }
    // One Azure customer per alias: only the alias's first live provider creates it; the
    // others wait for it and then add their own subscription.
    auto first = [&]() -> Result<std::string> {
      PC_ASSIGN_OR_RETURN(auto tx, db.Begin());
      PC_ASSIGN_OR_RETURN(auto rows, tx->Query("SELECT id FROM providers WHERE billing_alias = ? "
                                               "AND state <> 'unavailable' ORDER BY created_at, "
                                               "id LIMIT 1",
                                               {alias}));
      return rows.empty() ? std::string() : rows[0].Text("id");
    }();
    if (!first.ok()) return RetryOn(first.error());
    if (!first->empty() && *first != Str(job.data, "providerId")) {
      return StepResult::Wait(
          std::chrono::seconds(1),
          "Waiting for the alias's first provider to create the Azure customer");
    }
    return StepResult::Next(a.tenant_domain ? "customer" : "domain");
  }

  if (step == "domain") {
    if (a.tenant_domain) return StepResult::Next("customer");
    std::string prefix = DomainPrefix(alias);
    for (int n = 0; n < 50; ++n) {
      std::string domain = prefix + (n == 0 ? "" : std::to_string(n)) + ".onmicrosoft.com";
      auto taken = deps_.partner_center.DomainTaken(domain, CallFor(job, "domain:" + domain));
      if (!taken.ok()) return RetryOn(taken.error());
      if (*taken) continue;
      auto saved = Exec(db,
                        "UPDATE billing_aliases SET tenant_domain = ?, updated_at = ? WHERE "
                        "alias = ? AND tenant_domain IS NULL",
                        {domain, FormatTimestamp(Now()), alias});
      if (!saved.ok()) return RetryOn(saved.error());
      return StepResult::Next("customer");
    }
    return StepResult::Fail("No free tenant domain was found for " + prefix +
                            ".onmicrosoft.com (tried 50 suffixes)");
  }

  if (step == "customer") {
    if (a.customer_id) return StepResult::Next("agreement");
    std::string domain = a.tenant_domain.value_or("");
    auto found = deps_.partner_center.FindCustomerByDomain(domain, CallFor(job, "find-customer"));
    if (!found.ok()) return RetryOn(found.error());
    std::string customer_id;
    std::optional<std::string> admin_user, admin_password;
    if (*found) {
      customer_id = Str(**found, "id");
    } else {
      const auto& s = a.snapshot;
      const auto& contact = job.data["contact"].as_object();
      std::string state = Str(s, "stateProvince");
      json::object body{{"enableGDAPByDefault", false},
                        {"CompanyProfile", {{"Domain", domain}}},
                        {"BillingProfile",
                         {{"Culture", "EN-US"},
                          {"Email", Str(contact, "email")},
                          {"Language", "en"},
                          {"CompanyName", a.company_name},
                          {"DefaultAddress",
                           {{"FirstName", Str(contact, "firstName")},
                            {"LastName", Str(contact, "lastName")},
                            {"AddressLine1", Str(s, "addressLine1")},
                            {"City", Str(s, "city")},
                            {"State", state.size() <= 2 ? state : state.substr(0, 2)},
                            {"PostalCode", Str(s, "postalCode")},
                            {"Country", a.country},
                            {"PhoneNumber", Str(contact, "phoneNumber")}}}}}};
      auto created = deps_.partner_center.Call("POST", "/v1/customers", json::value(body),
                                               CallFor(job, "create-customer"));
      if (!created.ok()) return RetryOn(created.error());
      if (!created->ok()) {
        if (created->fault->status == 409) {
          // Someone else took the domain since we checked it: choose another.
          auto cleared = Exec(db,
                              "UPDATE billing_aliases SET tenant_domain = NULL WHERE alias = ? "
                              "AND customer_id IS NULL",
                              {alias});
          if (!cleared.ok()) return RetryOn(cleared.error());
          return StepResult::Next("domain");
        }
        return FromFault("Creating the Azure customer", *created->fault);
      }
      const auto& c = created->body.as_object();
      customer_id = Str(c, "id");
      if (const auto* cred = c.if_contains("userCredentials"); cred && cred->is_object()) {
        std::string user = Str(cred->as_object(), "userName");
        if (user.find('@') == std::string::npos) user += "@" + domain;
        admin_user = user;
        admin_password = Str(cred->as_object(), "password");
      }
    }
    if (customer_id.empty()) return StepResult::Retry("Partner Center returned no customer id");
    // An id this service recorded for another alias: upstream contradicts our records (for
    // instance a sandbox that lost its world). Say so; never merge two aliases into one tenant.
    auto other = [&]() -> Result<std::string> {
      PC_ASSIGN_OR_RETURN(auto tx, db.Begin());
      PC_ASSIGN_OR_RETURN(auto rows, tx->Query("SELECT alias FROM billing_aliases WHERE "
                                               "lower(customer_id) = lower(?) AND alias <> ?",
                                               {customer_id, alias}));
      return rows.empty() ? std::string() : rows[0].Text(0);
    }();
    if (!other.ok()) return RetryOn(other.error());
    if (!other->empty()) {
      return StepResult::Fail(
          "Upstream state contradicts this service's records: Partner Center "
          "gave customer " +
          customer_id + " for alias " + alias +
          ", but this service recorded that customer for alias " + *other +
          ". Nothing was merged; an operator must reconcile the records "
          "with Partner Center before resuming.");
    }
    std::string now = FormatTimestamp(Now());
    Status saved = db.InTransaction([&](Transaction& tx) -> Status {
      PC_RETURN_IF_ERROR(
          tx.Execute("UPDATE billing_aliases SET customer_id = ?, updated_at = ? "
                     "WHERE alias = ?",
                     {customer_id, now, alias}));
      if (admin_password) {
        PC_RETURN_IF_ERROR(tx.Execute(
            "UPDATE providers SET admin_user_name = ?, admin_password_sealed = ? WHERE id = ? "
            "AND admin_credentials_shown_at IS NULL",
            {*admin_user, deps_.secrets.Seal(*admin_password), Str(job.data, "providerId")}));
      }
      return {};
    });
    if (!saved.ok()) return RetryOn(saved.error());
    return StepResult::Next("agreement");
  }

  if (step == "agreement") {
    std::string cid = a.customer_id.value_or("");
    json::object body{{"primaryContact", job.data["contact"]},
                      {"templateId", Str(job.data, "templateId")},
                      {"dateAgreed", FormatTimestamp(Now())},
                      {"type", "MicrosoftCustomerAgreement"}};
    auto r = deps_.partner_center.Call("POST", "/v1/customers/" + cid + "/agreements",
                                       json::value(body), CallFor(job, "agreement"));
    if (!r.ok()) return RetryOn(r.error());
    if (!r->ok()) {
      if (r->fault->code == 600061) return StepResult::Next("order");  // already confirmed
      if (r->fault->status == 404) {
        return WaitOrFail(job, options_.consistency_wait,
                          "The new Azure customer is not visible in Partner Center yet");
      }
      return FromFault("Confirming the Microsoft Customer Agreement", *r->fault);
    }
    return StepResult::Next("order");
  }

  if (step == "order") {
    if (a.plan_subscription_id) return StepResult::Next("entitlement");
    if (job.data.contains("orderId")) return StepResult::Next("provisioning");
    std::string cid = a.customer_id.value_or("");
    json::object body{{"BillingCycle", "one_time"},
                      {"CurrencyCode", "USD"},
                      {"LineItems", json::array{json::object{{"LineItemNumber", 0},
                                                             {"OfferId", kAzurePlanOffer},
                                                             {"FriendlyName", "Azure plan"},
                                                             {"Quantity", 1}}}}};
    auto r = deps_.partner_center.Call("POST", "/v1/customers/" + cid + "/orders",
                                       json::value(body), CallFor(job, "order"));
    if (!r.ok()) return RetryOn(r.error());
    if (!r->ok()) {
      if (r->fault->status == 404) {
        return WaitOrFail(job, options_.consistency_wait,
                          "The new Azure customer is not visible in Partner Center yet");
      }
      if (r->fault->code == 800060 || r->fault->status == 400) {
        // Already ordered (by an attempt whose answer was lost): find the plan instead.
        auto subs = deps_.partner_center.Call("GET", "/v1/customers/" + cid + "/subscriptions",
                                              std::nullopt, CallFor(job, "list-subscriptions"));
        if (subs.ok() && subs->ok() && subs->body.is_object()) {
          for (const auto& s : subs->body.as_object().at("items").as_array()) {
            if (Str(s.as_object(), "offerId").rfind("DZH318Z0BPS6", 0) == 0) {
              job.data["orderId"] = Str(s.as_object(), "orderId");
              return StepResult::Next("provisioning");
            }
          }
        }
      }
      return FromFault("Ordering the Azure plan", *r->fault);
    }
    job.data["orderId"] = Str(r->body.as_object(), "id");
    return StepResult::Next("provisioning");
  }

  if (step == "provisioning") {
    if (a.plan_subscription_id) return StepResult::Next("entitlement");
    std::string cid = a.customer_id.value_or("");
    std::string oid = Str(job.data, "orderId");
    auto r = deps_.partner_center.Call("GET", "/v1/customers/" + cid + "/orders/" + oid,
                                       std::nullopt, CallFor(job, "get-order"));
    if (!r.ok()) return RetryOn(r.error());
    if (!r->ok()) {
      if (r->fault->status == 404) {
        return WaitOrFail(job, options_.consistency_wait,
                          "The Azure plan order is not visible yet");
      }
      return FromFault("Reading the Azure plan order", *r->fault);
    }
    const auto& order = r->body.as_object();
    std::string plan;
    if (const auto* items = order.if_contains("lineItems"); items && items->is_array()) {
      for (const auto& li : items->as_array()) {
        if (li.is_object()) plan = Str(li.as_object(), "subscriptionId");
        if (!plan.empty()) break;
      }
    }
    if (Str(order, "status") != "completed" || plan.empty()) {
      return StepResult::Wait(kPoll, "The Azure plan is being provisioned");
    }
    auto saved = Exec(db,
                      "UPDATE billing_aliases SET plan_subscription_id = ?, updated_at = ? WHERE "
                      "alias = ?",
                      {plan, FormatTimestamp(Now()), alias});
    if (!saved.ok()) return RetryOn(saved.error());
    return StepResult::Next("entitlement");
  }

  if (step == "entitlement") {
    std::string cid = a.customer_id.value_or("");
    auto r =
        deps_.partner_center.Call("GET",
                                  "/v1/customers/" + cid + "/subscriptions/" +
                                      a.plan_subscription_id.value_or("") + "/azureEntitlements",
                                  std::nullopt, CallFor(job, "entitlements"));
    if (!r.ok()) return RetryOn(r.error());
    if (!r->ok()) return FromFault("Listing the Azure subscriptions", *r->fault);
    for (const auto& e : r->body.as_object().at("items").as_array()) {
      std::string id = Str(e.as_object(), "id");
      if (!id.empty()) {
        job.data["azureSubscriptionId"] = id;
        return StepResult::Next("associate");
      }
    }
    return StepResult::Wait(kPoll, "The Azure subscription is being provisioned");
  }

  if (step == "second_subscription") {
    // Another Azure subscription under the alias's customer: an ARM subscription alias with the
    // customer's billing scope, named after the provider so a retry finds it.
    std::string name = Str(job.data, "providerId");
    std::string path = "/providers/Microsoft.Subscription/aliases/" + name +
                       "?api-version=" + std::string(kAliasApiVersion);
    auto existing = deps_.arm.Call(options_.partner_tenant_id, "GET", path);
    if (!existing.ok()) return RetryOn(existing.error());
    connectors::ArmResult r = *existing;
    if (r.status == 404) {
      json::object body{{"properties",
                         {{"billingScope", "/providers/Microsoft.Billing/billingAccounts/" +
                                               options_.billing_account + "/customers/" +
                                               a.customer_id.value_or("")},
                          {"displayName", a.company_name + " " + name.substr(0, 8)},
                          {"workload", "Production"}}}};
      auto put = deps_.arm.Call(options_.partner_tenant_id, "PUT", path, json::value(body));
      if (!put.ok()) return RetryOn(put.error());
      r = *put;
    }
    if (!r.ok() && r.status >= 400 && r.status < 500 && r.status != 429) {
      // A billing scope Azure does not know: is the customer this service recorded for the
      // alias still known to Partner Center?
      std::string cid = a.customer_id.value_or("");
      auto check = deps_.partner_center.Call("GET", "/v1/customers/" + cid, std::nullopt,
                                             CallFor(job, "check-customer"));
      if (check.ok() && !check->ok() && check->fault->status == 404) {
        return StepResult::Fail("Upstream state contradicts this service's records: customer " +
                                cid + ", recorded for alias " + alias +
                                ", is unknown to Partner Center (was the upstream reset or "
                                "replaced?). Nothing was changed; an operator must reconcile "
                                "the records before resuming.");
      }
    }
    if (!r.ok()) return FromArm("Creating another Azure subscription", r);
    const auto* props = r.body.is_object() ? r.body.as_object().if_contains("properties") : nullptr;
    if (!props || !props->is_object())
      return StepResult::Retry("Unexpected subscription alias body");
    std::string state = Str(props->as_object(), "provisioningState");
    std::string sub = Str(props->as_object(), "subscriptionId");
    if (state == "Failed") return StepResult::Fail("Azure could not create the subscription");
    if (state != "Succeeded" || sub.empty()) {
      return StepResult::Wait(kPoll, "The Azure subscription is being created");
    }
    job.data["azureSubscriptionId"] = sub;
    return StepResult::Next("associate");
  }

  std::string sub = Str(job.data, "azureSubscriptionId");
  std::string tenant = a.customer_id.value_or("");

  if (step == "associate") {
    auto other = [&]() -> Result<std::string> {
      PC_ASSIGN_OR_RETURN(auto tx, db.Begin());
      PC_ASSIGN_OR_RETURN(auto rows, tx->Query("SELECT billing_alias FROM azure_subscriptions_map "
                                               "WHERE azure_subscription_id = ? AND "
                                               "billing_alias <> ?",
                                               {boost::algorithm::to_lower_copy(sub), alias}));
      return rows.empty() ? std::string() : rows[0].Text(0);
    }();
    if (!other.ok()) return RetryOn(other.error());
    if (!other->empty()) {
      return StepResult::Fail(
          "Upstream state contradicts this service's records: Azure "
          "subscription " +
          sub + " came for alias " + alias + ", but this service bills it to alias " + *other +
          ". Nothing was merged; an operator must reconcile the records "
          "before resuming.");
    }
    std::string now = FormatTimestamp(Now());
    Status saved = db.InTransaction([&](Transaction& tx) -> Status {
      PC_RETURN_IF_ERROR(
          tx.Execute("INSERT INTO azure_subscriptions_map (azure_subscription_id, customer_id, "
                     "billing_alias, organization_id, created_at) VALUES (?, ?, ?, ?, ?) "
                     "ON CONFLICT (azure_subscription_id) DO NOTHING",
                     // Lower case, as the usage import reads subscription and customer ids.
                     {boost::algorithm::to_lower_copy(sub), boost::algorithm::to_lower_copy(tenant),
                      alias, a.organization_id, now}));
      PC_RETURN_IF_ERROR(
          tx.Execute("UPDATE providers SET azure_subscription_id = ?, updated_at = ? "
                     "WHERE id = ?",
                     {sub, now, Str(job.data, "providerId")}));
      return {};
    });
    if (!saved.ok()) return RetryOn(saved.error());
    return StepResult::Next("consent");
  }

  if (step == "consent") {
    json::object body{
        {"applicationId", options_.app_client_id},
        {"displayName", "Cloud Integration platform"},
        {"applicationGrants",
         json::array{
             json::object{{"enterpriseApplicationId", "797f4846-ba00-4fd7-ba43-dac1f8f63013"},
                          {"scope", "user_impersonation"}},
             json::object{{"enterpriseApplicationId", "00000003-0000-0000-c000-000000000000"},
                          {"scope", "Directory.Read.All,User.ReadWrite.All"}}}}};
    auto r = deps_.partner_center.Call("POST", "/v1/customers/" + tenant + "/applicationconsents",
                                       json::value(body), CallFor(job, "consent"));
    if (!r.ok()) return RetryOn(r.error());
    if (!r->ok() && r->fault->status != 409) {
      if (r->fault->status == 404) {
        return WaitOrFail(job, options_.consistency_wait,
                          "The Azure customer is not visible in Partner Center yet");
      }
      return FromFault("Consenting the platform's application", *r->fault);
    }
    return StepResult::Next("role");
  }

  std::string role_id = connectors::NameBasedId("role:" + sub);
  std::string auth = "/subscriptions/" + sub + "/providers/Microsoft.Authorization";

  if (step == "role") {
    auto r = deps_.arm.Call(
        tenant, "PUT",
        auth + "/roleDefinitions/" + role_id + "?api-version=" + std::string(kRoleApiVersion),
        json::value(deps_.catalog.RoleDefinitionBody(sub)));
    if (!r.ok()) return RetryOn(r.error());
    if (!r->ok()) return FromArm("Creating the custom role", *r);
    return StepResult::Next("assignment");
  }

  if (step == "assignment") {
    // The role goes to the application's service principal in the customer tenant (created by
    // the consent), found by its appId.
    auto principal = deps_.graph.ServicePrincipalId(tenant, options_.app_client_id);
    if (!principal.ok()) return RetryOn(principal.error());
    if (!*principal) {
      return WaitOrFail(job, options_.consistency_wait,
                        "The platform's application is not visible in the customer tenant yet");
    }
    std::string assignment_id = connectors::NameBasedId("assignment:" + sub);
    json::object body{{"properties",
                       {{"roleDefinitionId", auth + "/roleDefinitions/" + role_id},
                        {"principalId", **principal},
                        {"principalType", "ServicePrincipal"},
                        {"description", "The platform's application (permitted services)"}}}};
    auto r = deps_.arm.Call(
        tenant, "PUT",
        auth + "/roleAssignments/" + assignment_id + "?api-version=" + std::string(kRoleApiVersion),
        json::value(body));
    if (!r.ok()) return RetryOn(r.error());
    if (!r->ok() && r->error_code != "RoleAssignmentExists") {
      return FromArm("Assigning the custom role", *r);
    }
    return StepResult::Next("policy");
  }

  if (step == "policy") {
    auto r = deps_.arm.Call(tenant, "PUT",
                            auth + "/policyAssignments/permitted-services?api-version=" +
                                std::string(kPolicyApiVersion),
                            json::value(deps_.catalog.PolicyAssignmentBody()));
    if (!r.ok()) return RetryOn(r.error());
    if (!r->ok()) return FromArm("Assigning the Allowed resource types policy", *r);
    return StepResult::Next("providers");
  }

  if (step == "providers") {
    bool all_registered = true;
    for (const auto& ns : deps_.catalog.Namespaces()) {
      std::string base = "/subscriptions/" + sub + "/providers/" + ns;
      auto r =
          deps_.arm.Call(tenant, "GET", base + "?api-version=" + std::string(kProvidersApiVersion));
      if (!r.ok()) return RetryOn(r.error());
      if (!r->ok()) return FromArm("Reading resource provider " + ns, *r);
      const auto* props = r->body.as_object().if_contains("registrationState");
      std::string state = props && props->is_string() ? std::string(props->as_string()) : "";
      if (state == "Registered") continue;
      all_registered = false;
      if (state == "NotRegistered" || state == "Unregistered") {
        auto reg = deps_.arm.Call(
            tenant, "POST", base + "/register?api-version=" + std::string(kProvidersApiVersion));
        if (!reg.ok()) return RetryOn(reg.error());
        if (!reg->ok()) return FromArm("Registering resource provider " + ns, *reg);
      }
    }
    if (!all_registered) return StepResult::Wait(kPoll, "Resource providers are registering");
    return StepResult::Next("ready");
  }

  if (step == "ready") return StepResult::Done();
  return StepResult::Fail("Unknown onboarding step '" + step + "'");
}

Status OnboardingService::ObserveStep(Transaction& tx, const Job& job, const StepResult& r) {
  std::string provider = Str(job.data, "providerId");
  std::string now = FormatTimestamp(Now());
  std::string visible = VisibleStep(job.step);
  switch (r.kind) {
    case StepResult::Kind::kNext: {
      std::string next = VisibleStep(r.next_step);
      if (next != visible) {
        PC_RETURN_IF_ERROR(
            tx.Execute("UPDATE provider_steps SET state = 'done', last_error = "
                       "NULL, updated_at = ? WHERE provider_id = ? AND step_key = ?",
                       {now, provider, visible}));
        // Steps skipped on the way (none today) are done as well.
        PC_RETURN_IF_ERROR(tx.Execute(
            "UPDATE provider_steps SET state = 'done', updated_at = ? WHERE provider_id = ? AND "
            "position < (SELECT position FROM provider_steps WHERE provider_id = ? AND "
            "step_key = ?) AND state <> 'done'",
            {now, provider, provider, next}));
        PC_RETURN_IF_ERROR(
            tx.Execute("UPDATE provider_steps SET state = 'running', updated_at = "
                       "? WHERE provider_id = ? AND step_key = ?",
                       {now, provider, next}));
      }
      break;
    }
    case StepResult::Kind::kRetry:
      if (r.counts_as_failure) {
        PC_RETURN_IF_ERROR(tx.Execute(
            "UPDATE provider_steps SET attempts = attempts + 1, last_error = ?, updated_at = ? "
            "WHERE provider_id = ? AND step_key = ?",
            {r.message, now, provider, visible}));
      }
      break;
    case StepResult::Kind::kFail:
      PC_RETURN_IF_ERROR(tx.Execute(
          "UPDATE provider_steps SET state = 'failed', attempts = attempts + 1, last_error = ?, "
          "updated_at = ? WHERE provider_id = ? AND step_key = ?",
          {r.message, now, provider, visible}));
      PC_RETURN_IF_ERROR(
          tx.Execute("UPDATE providers SET state = 'unavailable', state_reason = "
                     "?, updated_at = ? WHERE id = ?",
                     {r.message, now, provider}));
      PC_RETURN_IF_ERROR(tx.Execute(
          "INSERT INTO outbox_emails (id, to_address, subject, body, created_at) VALUES (?, ?, "
          "?, ?, ?)",
          {connectors::NameBasedId(job.id + ":unavailable:" + now), Str(job.data, "notify"),
           "Your Azure provider is unavailable",
           "The provider on billing alias " + Str(job.data, "alias") + " stopped: " + r.message +
               "\nAn operator can resume it once this is fixed.",
           now}));
      break;
    case StepResult::Kind::kDone:
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
          {connectors::NameBasedId(job.id + ":ready"), Str(job.data, "notify"),
           "Your Azure provider is ready",
           "The Azure customer account and subscription for billing alias " +
               Str(job.data, "alias") + " are ready to use.",
           now}));
      break;
  }
  return {};
}

}  // namespace pc::onboarding
