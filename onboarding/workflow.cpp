#include "onboarding/workflow.h"

#include <algorithm>
#include <cctype>

#include "core/time.h"

namespace pc::onboarding {

using connectors::PcCall;
using jobs::Job;
using jobs::StepResult;
using store::Transaction;

namespace {

constexpr std::chrono::milliseconds kPoll{200};

std::string Str(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : "";
}

StepResult Next(OnboardingStep step) { return StepResult::Next(std::string(StepName(step))); }

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

}  // namespace

void OnboardingService::RegisterWorkflow(jobs::JobRunner& runner) {
  auto workflow = std::make_shared<OnboardingWorkflow>(deps_, options_);
  runner.Register(
      "onboarding", [workflow](Job& job) { return workflow->Run(job); },
      OnboardingWorkflow::Observer(options_.on_ready));
}

jobs::StepObserver OnboardingWorkflow::Observer(
    std::function<Status(store::Transaction&)> on_ready) {
  return [on_ready = std::move(on_ready)](Transaction& tx, const Job& job,
                                          const StepResult& r) -> Status {
    PC_RETURN_IF_ERROR(Observe(tx, job, r));
    if (r.kind == StepResult::Kind::kDone && on_ready) return on_ready(tx);
    return {};
  };
}

OnboardingWorkflow::OnboardingWorkflow(OnboardingDeps deps, OnboardingOptions options)
    : deps_(deps), options_(std::move(options)), store_(deps.db) {}

OnboardingWorkflow::StepFunction OnboardingWorkflow::FunctionOf(OnboardingStep step) {
  switch (step) {
    case OnboardingStep::kEligibility:
      return &OnboardingWorkflow::Eligibility;
    case OnboardingStep::kDomain:
      return &OnboardingWorkflow::Domain;
    case OnboardingStep::kCustomer:
      return &OnboardingWorkflow::Customer;
    case OnboardingStep::kAgreement:
      return &OnboardingWorkflow::Agreement;
    case OnboardingStep::kOrder:
      return &OnboardingWorkflow::Order;
    case OnboardingStep::kProvisioning:
      return &OnboardingWorkflow::Provisioning;
    case OnboardingStep::kEntitlement:
      return &OnboardingWorkflow::Entitlement;
    case OnboardingStep::kSecondSubscription:
      return &OnboardingWorkflow::SecondSubscription;
    case OnboardingStep::kAssociate:
      return &OnboardingWorkflow::Associate;
    case OnboardingStep::kConsent:
      return &OnboardingWorkflow::Consent;
    case OnboardingStep::kRole:
      return &OnboardingWorkflow::Role;
    case OnboardingStep::kAssignment:
      return &OnboardingWorkflow::Assignment;
    case OnboardingStep::kPolicy:
      return &OnboardingWorkflow::Policy;
    case OnboardingStep::kProviders:
      return &OnboardingWorkflow::Providers;
    case OnboardingStep::kReady:
      return &OnboardingWorkflow::Ready;
  }
  return nullptr;
}

StepResult OnboardingWorkflow::Run(Job& job) {
  auto loaded = store_.LoadAlias(Str(job.data, "alias"));
  if (!loaded.ok()) return StepResult::Fail(loaded.error().message);
  auto step = ParseStep(job.step);
  if (!step) return StepResult::Fail("Unknown onboarding step '" + job.step + "'");
  Context c{job, *loaded};
  return (this->*FunctionOf(*step))(c);
}

StepResult OnboardingWorkflow::Eligibility(Context& c) {
  // The alias was checked with CLC at Save; the territory policy may have changed since.
  const auto& a = c.alias;
  const auto& allowed = options_.policy.allowed_countries;
  if (std::find(allowed.begin(), allowed.end(), a.country) == allowed.end()) {
    return StepResult::Fail(std::string(kTerritoryMessage));
  }
  if (a.customer_id && a.plan_subscription_id) {
    c.job.data["secondSubscription"] = true;
    return Next(OnboardingStep::kSecondSubscription);
  }
  // One Azure customer per alias: only the alias's first live provider creates it; the
  // others wait for it and then add their own subscription.
  auto first = store_.FirstLiveProvider(a.alias);
  if (!first.ok()) return RetryOn(first.error());
  if (!first->empty() && *first != Str(c.job.data, "providerId")) {
    return StepResult::Wait(std::chrono::seconds(1),
                            "Waiting for the alias's first provider to create the Azure customer");
  }
  return Next(a.tenant_domain ? OnboardingStep::kCustomer : OnboardingStep::kDomain);
}

StepResult OnboardingWorkflow::Domain(Context& c) {
  if (c.alias.tenant_domain) return Next(OnboardingStep::kCustomer);
  std::string prefix = DomainPrefix(c.alias.alias);
  for (int n = 0; n < 50; ++n) {
    std::string domain = prefix + (n == 0 ? "" : std::to_string(n)) + ".onmicrosoft.com";
    auto taken = deps_.partner_center.DomainTaken(domain, CallFor(c.job, "domain:" + domain));
    if (!taken.ok()) return RetryOn(taken.error());
    if (*taken) continue;
    auto saved = store_.SaveTenantDomain(c.alias.alias, domain);
    if (!saved.ok()) return RetryOn(saved.error());
    return Next(OnboardingStep::kCustomer);
  }
  return StepResult::Fail("No free tenant domain was found for " + prefix +
                          ".onmicrosoft.com (tried 50 suffixes)");
}

StepResult OnboardingWorkflow::Customer(Context& c) {
  const auto& a = c.alias;
  if (a.customer_id) return Next(OnboardingStep::kAgreement);
  std::string domain = a.tenant_domain.value_or("");
  auto found = deps_.partner_center.FindCustomerByDomain(domain, CallFor(c.job, "find-customer"));
  if (!found.ok()) return RetryOn(found.error());
  std::string customer_id;
  std::optional<std::pair<std::string, std::string>> admin_sealed;
  if (*found) {
    customer_id = Str(**found, "id");
  } else {
    const auto& s = a.snapshot;
    const auto& contact = c.job.data["contact"].as_object();
    connectors::NewCustomer customer{.domain = domain,
                                     .company_name = a.company_name,
                                     .email = Str(contact, "email"),
                                     .first_name = Str(contact, "firstName"),
                                     .last_name = Str(contact, "lastName"),
                                     .phone_number = Str(contact, "phoneNumber"),
                                     .address_line1 = Str(s, "addressLine1"),
                                     .city = Str(s, "city"),
                                     .state = Str(s, "stateProvince"),
                                     .postal_code = Str(s, "postalCode"),
                                     .country = a.country};
    auto created = deps_.partner_center.CreateCustomer(customer, CallFor(c.job, "create-customer"));
    if (!created.ok()) return RetryOn(created.error());
    if (!created->ok()) {
      if (created->fault->status == 409) {
        // Someone else took the domain since we checked it: choose another.
        auto cleared = store_.ClearTenantDomain(a.alias);
        if (!cleared.ok()) return RetryOn(cleared.error());
        return Next(OnboardingStep::kDomain);
      }
      return FromFault("Creating the Azure customer", *created->fault);
    }
    const auto& body = created->body.as_object();
    customer_id = Str(body, "id");
    if (const auto* cred = body.if_contains("userCredentials"); cred && cred->is_object()) {
      std::string user = Str(cred->as_object(), "userName");
      if (user.find('@') == std::string::npos) user += "@" + domain;
      admin_sealed = {user, deps_.secrets.Seal(Str(cred->as_object(), "password"))};
    }
  }
  if (customer_id.empty()) return StepResult::Retry("Partner Center returned no customer id");
  // An id this service recorded for another alias: upstream contradicts our records (for
  // instance a sandbox that lost its world). Say so; never merge two aliases into one tenant.
  auto other = store_.AliasOfCustomer(customer_id, a.alias);
  if (!other.ok()) return RetryOn(other.error());
  if (!other->empty()) {
    return StepResult::Fail(
        "Upstream state contradicts this service's records: Partner Center "
        "gave customer " +
        customer_id + " for alias " + a.alias +
        ", but this service recorded that customer for alias " + *other +
        ". Nothing was merged; an operator must reconcile the records with "
        "Partner Center before resuming.");
  }
  auto saved =
      store_.SaveCustomer(a.alias, customer_id, Str(c.job.data, "providerId"), admin_sealed);
  if (!saved.ok()) return RetryOn(saved.error());
  return Next(OnboardingStep::kAgreement);
}

StepResult OnboardingWorkflow::Agreement(Context& c) {
  connectors::AgreementAcceptance acceptance{.primary_contact = c.job.data["contact"],
                                             .template_id = Str(c.job.data, "templateId"),
                                             .date_agreed = FormatTimestamp(Now())};
  auto r = deps_.partner_center.ConfirmCustomerAgreement(c.alias.customer_id.value_or(""),
                                                         acceptance, CallFor(c.job, "agreement"));
  if (!r.ok()) return RetryOn(r.error());
  if (!r->ok()) {
    if (r->fault->code == 600061) return Next(OnboardingStep::kOrder);  // already confirmed
    if (r->fault->status == 404) {
      return WaitOrFail(c.job, options_.consistency_wait,
                        "The new Azure customer is not visible in Partner Center yet");
    }
    return FromFault("Confirming the Microsoft Customer Agreement", *r->fault);
  }
  return Next(OnboardingStep::kOrder);
}

StepResult OnboardingWorkflow::Order(Context& c) {
  if (c.alias.plan_subscription_id) return Next(OnboardingStep::kEntitlement);
  if (c.job.data.contains("orderId")) return Next(OnboardingStep::kProvisioning);
  std::string cid = c.alias.customer_id.value_or("");
  auto r = deps_.partner_center.OrderAzurePlan(cid, CallFor(c.job, "order"));
  if (!r.ok()) return RetryOn(r.error());
  if (!r->ok()) {
    if (r->fault->status == 404) {
      return WaitOrFail(c.job, options_.consistency_wait,
                        "The new Azure customer is not visible in Partner Center yet");
    }
    if (r->fault->code == 800060 || r->fault->status == 400) {
      // Already ordered (by an attempt whose answer was lost): find the plan instead.
      auto subs = deps_.partner_center.ListSubscriptions(cid, CallFor(c.job, "list-subscriptions"));
      if (subs.ok() && subs->ok() && subs->body.is_object()) {
        for (const auto& s : subs->body.as_object().at("items").as_array()) {
          if (Str(s.as_object(), "offerId")
                  .starts_with(connectors::PartnerCenterClient::kAzurePlanProduct)) {
            c.job.data["orderId"] = Str(s.as_object(), "orderId");
            return Next(OnboardingStep::kProvisioning);
          }
        }
      }
    }
    return FromFault("Ordering the Azure plan", *r->fault);
  }
  c.job.data["orderId"] = Str(r->body.as_object(), "id");
  return Next(OnboardingStep::kProvisioning);
}

StepResult OnboardingWorkflow::Provisioning(Context& c) {
  if (c.alias.plan_subscription_id) return Next(OnboardingStep::kEntitlement);
  auto r = deps_.partner_center.GetOrder(c.alias.customer_id.value_or(""),
                                         Str(c.job.data, "orderId"), CallFor(c.job, "get-order"));
  if (!r.ok()) return RetryOn(r.error());
  if (!r->ok()) {
    if (r->fault->status == 404) {
      return WaitOrFail(c.job, options_.consistency_wait,
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
  auto saved = store_.SavePlanSubscription(c.alias.alias, plan);
  if (!saved.ok()) return RetryOn(saved.error());
  return Next(OnboardingStep::kEntitlement);
}

StepResult OnboardingWorkflow::Entitlement(Context& c) {
  auto r = deps_.partner_center.ListAzureEntitlements(c.alias.customer_id.value_or(""),
                                                      c.alias.plan_subscription_id.value_or(""),
                                                      CallFor(c.job, "entitlements"));
  if (!r.ok()) return RetryOn(r.error());
  if (!r->ok()) return FromFault("Listing the Azure subscriptions", *r->fault);
  for (const auto& e : r->body.as_object().at("items").as_array()) {
    std::string id = Str(e.as_object(), "id");
    if (!id.empty()) {
      c.job.data["azureSubscriptionId"] = id;
      return Next(OnboardingStep::kAssociate);
    }
  }
  return StepResult::Wait(kPoll, "The Azure subscription is being provisioned");
}

StepResult OnboardingWorkflow::SecondSubscription(Context& c) {
  // Another Azure subscription under the alias's customer: an ARM subscription alias with the
  // customer's billing scope, named after the provider so a retry finds it.
  std::string name = Str(c.job.data, "providerId");
  auto put_alias = [&] {
    return deps_.arm.PutSubscriptionAlias(
        options_.partner_tenant_id, name, options_.billing_account,
        c.alias.customer_id.value_or(""), c.alias.company_name + " " + name.substr(0, 8));
  };
  // The first run creates the alias at once: a PUT of an alias that exists answers it as it
  // is, so a retry after a crash creates nothing twice. Later runs poll it. This spares one of
  // the partner tenant's ARM reads per subscription, a budget every onboarding shares.
  connectors::ArmResult r;
  if (!c.job.data.contains("aliasRequested")) {
    auto put = put_alias();
    if (!put.ok()) return RetryOn(put.error());
    r = *put;
    c.job.data["aliasRequested"] = true;
  } else {
    auto existing = deps_.arm.GetSubscriptionAlias(options_.partner_tenant_id, name);
    if (!existing.ok()) return RetryOn(existing.error());
    r = *existing;
    if (r.status == 404) {
      auto put = put_alias();
      if (!put.ok()) return RetryOn(put.error());
      r = *put;
    }
  }
  if (!r.ok() && r.status >= 400 && r.status < 500 && r.status != 429) {
    // A billing scope Azure does not know: is the customer this service recorded for the alias
    // still known to Partner Center?
    std::string cid = c.alias.customer_id.value_or("");
    auto check = deps_.partner_center.GetCustomer(cid, CallFor(c.job, "check-customer"));
    if (check.ok() && !check->ok() && check->fault->status == 404) {
      return StepResult::Fail("Upstream state contradicts this service's records: customer " + cid +
                              ", recorded for alias " + c.alias.alias +
                              ", is unknown to Partner Center (was the upstream reset or "
                              "replaced?). Nothing was changed; an operator must reconcile the "
                              "records before resuming.");
    }
  }
  if (!r.ok()) return FromArm("Creating another Azure subscription", r);
  const auto* props = r.body.is_object() ? r.body.as_object().if_contains("properties") : nullptr;
  if (!props || !props->is_object()) return StepResult::Retry("Unexpected subscription alias body");
  std::string state = Str(props->as_object(), "provisioningState");
  std::string sub = Str(props->as_object(), "subscriptionId");
  if (state == "Failed") return StepResult::Fail("Azure could not create the subscription");
  if (state != "Succeeded" || sub.empty()) {
    return StepResult::Wait(kPoll, "The Azure subscription is being created");
  }
  c.job.data["azureSubscriptionId"] = sub;
  return Next(OnboardingStep::kAssociate);
}

StepResult OnboardingWorkflow::Associate(Context& c) {
  std::string sub = Str(c.job.data, "azureSubscriptionId");
  auto other = store_.AliasOfSubscription(sub, c.alias.alias);
  if (!other.ok()) return RetryOn(other.error());
  if (!other->empty()) {
    return StepResult::Fail(
        "Upstream state contradicts this service's records: Azure "
        "subscription " +
        sub + " came for alias " + c.alias.alias + ", but this service bills it to alias " +
        *other +
        ". Nothing was merged; an operator must reconcile the records before "
        "resuming.");
  }
  auto saved = store_.AssociateSubscription(c.alias, Str(c.job.data, "providerId"),
                                            Str(c.job.data, "azureSubscriptionId"));
  if (!saved.ok()) return RetryOn(saved.error());
  return Next(OnboardingStep::kConsent);
}

StepResult OnboardingWorkflow::Consent(Context& c) {
  auto r = deps_.partner_center.ConsentApplication(
      c.alias.customer_id.value_or(""), options_.app_client_id, "Cloud Integration platform",
      CallFor(c.job, "consent"));
  if (!r.ok()) return RetryOn(r.error());
  if (!r->ok() && r->fault->status != 409) {
    if (r->fault->status == 404) {
      return WaitOrFail(c.job, options_.consistency_wait,
                        "The Azure customer is not visible in Partner Center yet");
    }
    return FromFault("Consenting the platform's application", *r->fault);
  }
  return Next(OnboardingStep::kRole);
}

StepResult OnboardingWorkflow::Role(Context& c) {
  std::string sub = Str(c.job.data, "azureSubscriptionId");
  auto r = deps_.arm.PutRoleDefinition(c.alias.customer_id.value_or(""), sub,
                                       connectors::NameBasedId("role:" + sub),
                                       json::value(deps_.catalog.RoleDefinitionBody(sub)));
  if (!r.ok()) return RetryOn(r.error());
  if (!r->ok()) return FromArm("Creating the custom role", *r);
  return Next(OnboardingStep::kAssignment);
}

StepResult OnboardingWorkflow::Assignment(Context& c) {
  // The role goes to the application's service principal in the customer tenant (created by
  // the consent), found by its appId.
  std::string tenant = c.alias.customer_id.value_or("");
  std::string sub = Str(c.job.data, "azureSubscriptionId");
  auto principal = deps_.graph.ServicePrincipalId(tenant, options_.app_client_id);
  if (!principal.ok()) return RetryOn(principal.error());
  if (!*principal) {
    return WaitOrFail(c.job, options_.consistency_wait,
                      "The platform's application is not visible in the customer tenant yet");
  }
  auto r = deps_.arm.PutRoleAssignment(tenant, sub, connectors::NameBasedId("assignment:" + sub),
                                       connectors::NameBasedId("role:" + sub), **principal,
                                       "The platform's application (permitted services)");
  if (!r.ok()) return RetryOn(r.error());
  if (!r->ok() && r->error_code != "RoleAssignmentExists") {
    return FromArm("Assigning the custom role", *r);
  }
  return Next(OnboardingStep::kPolicy);
}

StepResult OnboardingWorkflow::Policy(Context& c) {
  auto r = deps_.arm.PutPolicyAssignment(
      c.alias.customer_id.value_or(""), Str(c.job.data, "azureSubscriptionId"),
      "permitted-services", json::value(deps_.catalog.PolicyAssignmentBody()));
  if (!r.ok()) return RetryOn(r.error());
  if (!r->ok()) return FromArm("Assigning the Allowed resource types policy", *r);
  return Next(OnboardingStep::kProviders);
}

StepResult OnboardingWorkflow::Providers(Context& c) {
  std::string tenant = c.alias.customer_id.value_or("");
  std::string sub = Str(c.job.data, "azureSubscriptionId");
  bool all_registered = true;
  for (const auto& ns : deps_.catalog.Namespaces()) {
    auto r = deps_.arm.GetResourceProvider(tenant, sub, ns);
    if (!r.ok()) return RetryOn(r.error());
    if (!r->ok()) return FromArm("Reading resource provider " + ns, *r);
    const auto* props = r->body.as_object().if_contains("registrationState");
    std::string state = props && props->is_string() ? std::string(props->as_string()) : "";
    if (state == "Registered") continue;
    all_registered = false;
    if (state == "NotRegistered" || state == "Unregistered") {
      auto reg = deps_.arm.RegisterResourceProvider(tenant, sub, ns);
      if (!reg.ok()) return RetryOn(reg.error());
      if (!reg->ok()) return FromArm("Registering resource provider " + ns, *reg);
    }
  }
  if (!all_registered) return StepResult::Wait(kPoll, "Resource providers are registering");
  return Next(OnboardingStep::kReady);
}

StepResult OnboardingWorkflow::Ready(Context&) { return StepResult::Done(); }

Status OnboardingWorkflow::Observe(Transaction& tx, const Job& job, const StepResult& r) {
  std::string provider = Str(job.data, "providerId");
  auto visible_of = [](std::string_view name) {
    auto step = ParseStep(name);
    return std::string(step ? VisibleStep(*step) : "permissions");
  };
  std::string visible = visible_of(job.step);
  switch (r.kind) {
    case StepResult::Kind::kNext: {
      std::string next = visible_of(r.next_step);
      if (next != visible) {
        PC_RETURN_IF_ERROR(OnboardingStore::RecordAdvance(tx, provider, visible, next));
      }
      break;
    }
    case StepResult::Kind::kRetry:
      if (r.counts_as_failure) {
        PC_RETURN_IF_ERROR(OnboardingStore::RecordAttempt(tx, provider, visible, r.message));
      }
      break;
    case StepResult::Kind::kFail:
      PC_RETURN_IF_ERROR(OnboardingStore::RecordFailure(tx, job.id, provider, visible, r.message,
                                                        Str(job.data, "alias"),
                                                        Str(job.data, "notify")));
      break;
    case StepResult::Kind::kDone:
      PC_RETURN_IF_ERROR(OnboardingStore::RecordReady(tx, job.id, provider, Str(job.data, "alias"),
                                                      Str(job.data, "notify")));
      break;
  }
  return {};
}

}  // namespace pc::onboarding
