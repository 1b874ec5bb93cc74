// Partner Center REST v1 client (api.partnercenter.microsoft.com; "<sandbox>/partnercenter").
//
// Every call sends MS-RequestId and MS-CorrelationId. The request id is the caller's idempotency
// key: the same logical call (a job's step) sends the same id on every retry, so Partner Center
// replays the first response instead of acting twice. Faults come back as PcFault values with
// Partner Center's numeric code, so the workflow can tell "already exists" (600061) from a real
// failure. A 401 refreshes the token once. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "connectors/entra_client.h"
#include "connectors/http_client.h"
#include "core/json.h"
#include "core/result.h"

namespace pc::connectors {

// Idempotency and tracing for one logical call.
struct PcCall {
  std::string request_id;      // MS-RequestId: stable across retries of this logical call
  std::string correlation_id;  // MS-CorrelationId: the job
};

// A name-based id in UUID form (SHA-256 of `name`): the same name always gives the same id.
std::string NameBasedId(std::string_view name);

// A Partner Center answer that is not a success.
struct PcFault {
  long status = 0;
  int64_t code = 0;     // ApiFault code (0 if none)
  std::string message;  // description or message
  std::chrono::milliseconds retry_after{0};
};

// A fault as an error (Unavailable), carrying its Retry-After.
Error FaultError(std::string_view what, const PcFault& fault);

// What a call returned: a JSON body on success, or the fault.
struct PcResult {
  long status = 0;
  json::value body;
  std::string raw;  // the body as received (numbers in `body` are doubles; money is read here)
  std::optional<PcFault> fault;
  bool ok() const { return !fault.has_value(); }
};

// --- Onboarding a new customer: typed arguments of the workflow's calls.

// A new customer tenant: POST /v1/customers. `state` is cut to two letters as Partner Center
// wants for US states.
struct NewCustomer {
  std::string domain;  // <prefix>.onmicrosoft.com
  std::string company_name;
  std::string email;
  std::string first_name, last_name, phone_number;
  std::string address_line1, city, state, postal_code, country;
};

// Who accepted the Microsoft Customer Agreement, with which template, when.
struct AgreementAcceptance {
  json::value primary_contact;  // {firstName, lastName, email, phoneNumber} as the user gave it
  std::string template_id;
  std::string date_agreed;  // RFC 3339
};

// --- Support: typed arguments of the support desk's calls.

// A service request to Microsoft (legacy create, partner-center-api.md §6).
struct NewServiceRequest {
  std::string title;
  std::string description;
  std::string severity = "minimal";  // critical | moderate | minimal
  std::string support_topic_id;      // may be empty
  std::string customer_id;           // the customer tenant it is about (may be empty)
};

class PartnerCenterClient {
 public:
  PartnerCenterClient(HttpClient& http, TokenProvider& tokens, std::string base_url,
                      std::string partner_tenant);

  // One call. Returns Unavailable only when no answer came (after the HTTP client's retries);
  // every HTTP answer, success or fault, is a PcResult.
  Result<PcResult> Call(const std::string& method, const std::string& path,
                        const std::optional<json::value>& body, const PcCall& call,
                        const std::vector<std::pair<std::string, std::string>>& extra_headers = {});

  // HEAD /v1/domains/{domain}: true if the domain is taken.
  Result<bool> DomainTaken(const std::string& domain, const PcCall& call);
  // The customer whose domain is exactly `domain`, found with the starts_with filter.
  Result<std::optional<json::object>> FindCustomerByDomain(const std::string& domain,
                                                           const PcCall& call);
  // The Microsoft Customer Agreement template id (GET /v1/agreements).
  Result<std::string> CustomerAgreementTemplateId(const PcCall& call);

  // --- Onboarding a new customer (the onboarding workflow's calls, one per operation). Each
  // returns Unavailable only when no answer came; an HTTP fault is a PcResult with `fault`.

  // POST /v1/customers: a new customer tenant `customer.domain` with its billing profile. On
  // success the body holds `id` and, for a new tenant, `userCredentials` (its first admin).
  Result<PcResult> CreateCustomer(const NewCustomer& customer, const PcCall& call);
  // GET /v1/customers/{id}: the customer, or a 404 fault when Partner Center does not know it.
  Result<PcResult> GetCustomer(const std::string& customer_id, const PcCall& call);
  // POST /v1/customers/{id}/agreements: confirms the Microsoft Customer Agreement (600061:
  // already confirmed).
  Result<PcResult> ConfirmCustomerAgreement(const std::string& customer_id,
                                            const AgreementAcceptance& acceptance,
                                            const PcCall& call);
  // POST /v1/customers/{id}/orders: one Azure plan (body: the order, `id` its order id).
  Result<PcResult> OrderAzurePlan(const std::string& customer_id, const PcCall& call);
  // GET /v1/customers/{id}/orders/{order}: status and lineItems[].subscriptionId.
  Result<PcResult> GetOrder(const std::string& customer_id, const std::string& order_id,
                            const PcCall& call);
  // GET /v1/customers/{id}/subscriptions: items[] with offerId and orderId.
  Result<PcResult> ListSubscriptions(const std::string& customer_id, const PcCall& call);
  // GET /v1/customers/{id}/subscriptions/{plan}/azureEntitlements: items[].id are the Azure
  // subscription ids under the plan.
  Result<PcResult> ListAzureEntitlements(const std::string& customer_id,
                                         const std::string& plan_subscription_id,
                                         const PcCall& call);
  // POST /v1/customers/{id}/applicationconsents: consents `application_id` in the customer's
  // tenant with Azure Resource Manager user_impersonation and Graph directory grants (409:
  // already consented).
  Result<PcResult> ConsentApplication(const std::string& customer_id,
                                      const std::string& application_id,
                                      const std::string& display_name, const PcCall& call);
  // --- Support desk (escalation and closing an Azure account). Same error convention.

  // POST /v1/servicerequests/{locale}: a new service request; the body has `id` and `status`.
  Result<PcResult> CreateServiceRequest(const std::string& locale, const NewServiceRequest& request,
                                        const PcCall& call);
  // GET /v1/servicerequests/{id}: `status` (none|open|closed|attention_needed) and `notes[]`
  // ({createdByName, createdDate, text}).
  Result<PcResult> GetServiceRequest(const std::string& service_request_id, const PcCall& call);
  // GET /v1/customers/{id}/subscriptions/{sub}: the subscription with attributes.etag.
  Result<PcResult> GetSubscription(const std::string& customer_id,
                                   const std::string& subscription_id, const PcCall& call);
  // POST .../subscriptions/{plan}/azureEntitlements/{azure}/cancel with `reason`
  // (compromise, ...). The entitlement reads inactive some minutes later.
  Result<PcResult> CancelAzureEntitlement(const std::string& customer_id,
                                          const std::string& plan_subscription_id,
                                          const std::string& azure_subscription_id,
                                          const std::string& reason, const PcCall& call);
  // PATCH /v1/customers/{id}/subscriptions/{sub}: `subscription` (as read, full) with its Status
  // set to `status` ("suspended" or "active"), If-Match its etag.
  Result<PcResult> SetSubscriptionStatus(const std::string& customer_id,
                                         const json::object& subscription,
                                         const std::string& status, const PcCall& call);

  // The Azure plan's offer id; a subscription whose offerId starts with kAzurePlanProduct is
  // one.
  static constexpr std::string_view kAzurePlanOffer = "DZH318Z0BPS6:0001:DZH318Z0BML6";
  static constexpr std::string_view kAzurePlanProduct = "DZH318Z0BPS6";

 private:
  HttpClient& http_;
  TokenProvider& tokens_;
  std::string base_url_;
  std::string partner_tenant_;
};

}  // namespace pc::connectors
