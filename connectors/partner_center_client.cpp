#include "connectors/partner_center_client.h"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "core/random.h"

namespace pc::connectors {

std::string NameBasedId(std::string_view name) {
  std::string hex = Sha256Hex(name).substr(0, 32);
  hex[12] = '8';  // version 8: custom, name-based
  const char variants[] = "89ab";
  hex[16] = variants[std::stoi(hex.substr(16, 1), nullptr, 16) & 3];
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

namespace {

PcFault FaultFrom(const HttpResponse& res) {
  PcFault f;
  f.status = res.status;
  f.retry_after = HttpClient::RetryAfter(res.Header("retry-after"));
  auto v = ParseJson(res.body);
  if (v.ok() && v->is_object()) {
    const auto& o = v->as_object();
    if (auto c = o.find("code"); c != o.end()) {
      if (c->value().is_int64()) f.code = c->value().as_int64();
      if (c->value().is_string()) {
        try {
          f.code = std::stoll(std::string(c->value().as_string()));
        } catch (const std::exception&) {
        }
      }
    }
    for (const char* key : {"description", "message"}) {
      if (auto m = o.find(key); m != o.end() && m->value().is_string() && f.message.empty()) {
        f.message = std::string(m->value().as_string());
      }
    }
  }
  if (f.message.empty()) f.message = "HTTP " + std::to_string(res.status);
  return f;
}

}  // namespace

Error FaultError(std::string_view what, const PcFault& fault) {
  Error e = Unavailable(std::string(what) + ": Partner Center answered HTTP " +
                        std::to_string(fault.status) + ": " + fault.message);
  e.retry_after = fault.retry_after;
  return e;
}

PartnerCenterClient::PartnerCenterClient(HttpClient& http, TokenProvider& tokens,
                                         std::string base_url, std::string partner_tenant)
    : http_(http),
      tokens_(tokens),
      base_url_(std::move(base_url)),
      partner_tenant_(std::move(partner_tenant)) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

Result<PcResult> PartnerCenterClient::Call(
    const std::string& method, const std::string& path, const std::optional<json::value>& body,
    const PcCall& call, const std::vector<std::pair<std::string, std::string>>& extra_headers) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    PC_ASSIGN_OR_RETURN(std::string token, tokens_.Token(partner_tenant_, kPartnerCenterAudience));
    HttpRequest req;
    req.method = method;
    req.url = base_url_ + path;
    req.headers = {
        {"Authorization", "Bearer " + token},
        {"Accept", "application/json"},
        {"MS-RequestId", call.request_id.empty() ? NameBasedId(RandomToken(16)) : call.request_id},
        {"MS-CorrelationId",
         call.correlation_id.empty() ? NameBasedId(RandomToken(16)) : call.correlation_id}};
    for (const auto& h : extra_headers) req.headers.push_back(h);
    if (body) {
      req.headers.emplace_back("Content-Type", "application/json");
      req.body = json::serialize(*body);
    }
    req.timeout = std::chrono::seconds(60);
    PC_ASSIGN_OR_RETURN(HttpResponse res, http_.Send(req));
    if (res.status == 401 && attempt == 0) {
      tokens_.Invalidate(partner_tenant_, kPartnerCenterAudience);
      continue;
    }
    PcResult out;
    out.status = res.status;
    if (res.status >= 200 && res.status < 300) {
      if (!res.body.empty()) {
        auto parsed = ParseJson(res.body);
        if (!parsed.ok()) return Unavailable("Partner Center answered a body that is not JSON");
        out.body = std::move(*parsed);
        out.raw = std::move(res.body);
      }
      return out;
    }
    out.fault = FaultFrom(res);
    return out;
  }
  return Unauthenticated("Partner Center refused the token twice");
}

Result<bool> PartnerCenterClient::DomainTaken(const std::string& domain, const PcCall& call) {
  PC_ASSIGN_OR_RETURN(PcResult r, Call("HEAD", "/v1/domains/" + domain, std::nullopt, call));
  if (r.status == 200) return true;
  if (r.status == 404) return false;
  return FaultError("Partner Center domain check", *r.fault);
}

Result<std::optional<json::object>> PartnerCenterClient::FindCustomerByDomain(
    const std::string& domain, const PcCall& call) {
  json::object filter{{"Field", "Domain"}, {"Value", domain}, {"Operator", "starts_with"}};
  std::string encoded = boost::urls::encode(json::serialize(filter), boost::urls::unreserved_chars);
  std::string path = "/v1/customers?size=0&filter=" + encoded;
  std::vector<std::pair<std::string, std::string>> headers;
  for (int page = 0; page < 100; ++page) {
    PC_ASSIGN_OR_RETURN(PcResult r, Call("GET", path, std::nullopt, call, headers));
    if (!r.ok()) return FaultError("Partner Center customer search", *r.fault);
    if (!r.body.is_object()) return Unavailable("Partner Center customer search: unexpected body");
    const auto& o = r.body.as_object();
    if (auto items = o.find("items"); items != o.end() && items->value().is_array()) {
      for (const auto& c : items->value().as_array()) {
        if (!c.is_object()) continue;
        const auto* profile = c.as_object().if_contains("companyProfile");
        if (!profile || !profile->is_object()) continue;
        const auto* d = profile->as_object().if_contains("domain");
        if (d && d->is_string() && d->as_string() == domain) {
          return std::optional<json::object>(c.as_object());
        }
      }
    }
    auto token = o.find("continuationToken");
    if (token == o.end() || !token->value().is_string() || token->value().as_string().empty()) {
      break;
    }
    path = "/v1/customers?seekOperation=Next";
    headers = {{"MS-ContinuationToken", std::string(token->value().as_string())}};
  }
  return std::optional<json::object>{};
}

Result<std::string> PartnerCenterClient::CustomerAgreementTemplateId(const PcCall& call) {
  PC_ASSIGN_OR_RETURN(
      PcResult r,
      Call("GET", "/v1/agreements?agreementType=MicrosoftCustomerAgreement", std::nullopt, call));
  if (!r.ok()) return FaultError("Partner Center agreements", *r.fault);
  const auto* items = r.body.is_object() ? r.body.as_object().if_contains("items") : nullptr;
  if (items && items->is_array()) {
    for (const auto& a : items->as_array()) {
      const auto* t = a.is_object() ? a.as_object().if_contains("templateId") : nullptr;
      if (t && t->is_string()) return std::string(t->as_string());
    }
  }
  return Unavailable("Partner Center listed no Microsoft Customer Agreement template");
}

// --- Onboarding a new customer.

Result<PcResult> PartnerCenterClient::CreateCustomer(const NewCustomer& c, const PcCall& call) {
  json::object body{{"enableGDAPByDefault", false},
                    {"CompanyProfile", {{"Domain", c.domain}}},
                    {"BillingProfile",
                     {{"Culture", "EN-US"},
                      {"Email", c.email},
                      {"Language", "en"},
                      {"CompanyName", c.company_name},
                      {"DefaultAddress",
                       {{"FirstName", c.first_name},
                        {"LastName", c.last_name},
                        {"AddressLine1", c.address_line1},
                        {"City", c.city},
                        {"State", c.state.size() <= 2 ? c.state : c.state.substr(0, 2)},
                        {"PostalCode", c.postal_code},
                        {"Country", c.country},
                        {"PhoneNumber", c.phone_number}}}}}};
  return Call("POST", "/v1/customers", json::value(std::move(body)), call);
}

Result<PcResult> PartnerCenterClient::GetCustomer(const std::string& customer_id,
                                                  const PcCall& call) {
  return Call("GET", "/v1/customers/" + customer_id, std::nullopt, call);
}

Result<PcResult> PartnerCenterClient::ConfirmCustomerAgreement(const std::string& customer_id,
                                                               const AgreementAcceptance& a,
                                                               const PcCall& call) {
  json::object body{{"primaryContact", a.primary_contact},
                    {"templateId", a.template_id},
                    {"dateAgreed", a.date_agreed},
                    {"type", "MicrosoftCustomerAgreement"}};
  return Call("POST", "/v1/customers/" + customer_id + "/agreements", json::value(std::move(body)),
              call);
}

Result<PcResult> PartnerCenterClient::OrderAzurePlan(const std::string& customer_id,
                                                     const PcCall& call) {
  json::object body{{"BillingCycle", "one_time"},
                    {"CurrencyCode", "USD"},
                    {"LineItems", json::array{json::object{{"LineItemNumber", 0},
                                                           {"OfferId", kAzurePlanOffer},
                                                           {"FriendlyName", "Azure plan"},
                                                           {"Quantity", 1}}}}};
  return Call("POST", "/v1/customers/" + customer_id + "/orders", json::value(std::move(body)),
              call);
}

Result<PcResult> PartnerCenterClient::GetOrder(const std::string& customer_id,
                                               const std::string& order_id, const PcCall& call) {
  return Call("GET", "/v1/customers/" + customer_id + "/orders/" + order_id, std::nullopt, call);
}

Result<PcResult> PartnerCenterClient::ListSubscriptions(const std::string& customer_id,
                                                        const PcCall& call) {
  return Call("GET", "/v1/customers/" + customer_id + "/subscriptions", std::nullopt, call);
}

Result<PcResult> PartnerCenterClient::ListAzureEntitlements(const std::string& customer_id,
                                                            const std::string& plan_subscription_id,
                                                            const PcCall& call) {
  return Call("GET",
              "/v1/customers/" + customer_id + "/subscriptions/" + plan_subscription_id +
                  "/azureEntitlements",
              std::nullopt, call);
}

Result<PcResult> PartnerCenterClient::ConsentApplication(const std::string& customer_id,
                                                         const std::string& application_id,
                                                         const std::string& display_name,
                                                         const PcCall& call) {
  json::object body{
      {"applicationId", application_id},
      {"displayName", display_name},
      {"applicationGrants",
       json::array{json::object{{"enterpriseApplicationId", "797f4846-ba00-4fd7-ba43-dac1f8f63013"},
                                {"scope", "user_impersonation"}},
                   json::object{{"enterpriseApplicationId", "00000003-0000-0000-c000-000000000000"},
                                {"scope", "Directory.Read.All,User.ReadWrite.All"}}}}};
  return Call("POST", "/v1/customers/" + customer_id + "/applicationconsents",
              json::value(std::move(body)), call);
}

Result<PcResult> PartnerCenterClient::CreateServiceRequest(const std::string& locale,
                                                           const NewServiceRequest& request,
                                                           const PcCall& call) {
  json::object body{{"Title", request.title},
                    {"Description", request.description},
                    {"Severity", request.severity},
                    {"SupportTopicId", request.support_topic_id},
                    {"Status", "none"},
                    {"Attributes", json::object{{"ObjectType", "ServiceRequest"}}}};
  if (!request.customer_id.empty()) body["CustomerId"] = request.customer_id;
  return Call("POST", "/v1/servicerequests/" + locale, json::value(std::move(body)), call);
}

Result<PcResult> PartnerCenterClient::GetServiceRequest(const std::string& service_request_id,
                                                        const PcCall& call) {
  return Call("GET", "/v1/servicerequests/" + service_request_id, std::nullopt, call);
}

Result<PcResult> PartnerCenterClient::GetSubscription(const std::string& customer_id,
                                                      const std::string& subscription_id,
                                                      const PcCall& call) {
  return Call("GET", "/v1/customers/" + customer_id + "/subscriptions/" + subscription_id,
              std::nullopt, call);
}

Result<PcResult> PartnerCenterClient::CancelAzureEntitlement(
    const std::string& customer_id, const std::string& plan_subscription_id,
    const std::string& azure_subscription_id, const std::string& reason, const PcCall& call) {
  return Call("POST",
              "/v1/customers/" + customer_id + "/subscriptions/" + plan_subscription_id +
                  "/azureEntitlements/" + azure_subscription_id + "/cancel",
              json::value(json::object{{"cancellationReason", reason}}), call);
}

Result<PcResult> PartnerCenterClient::SetSubscriptionStatus(const std::string& customer_id,
                                                            const json::object& subscription,
                                                            const std::string& status,
                                                            const PcCall& call) {
  json::object body = subscription;
  body.erase("status");
  body["Status"] = status;
  std::string etag;
  if (const auto* a = subscription.if_contains("attributes"); a && a->is_object()) {
    if (const auto* e = a->as_object().if_contains("etag"); e && e->is_string())
      etag = std::string(e->as_string());
  }
  std::string id;
  if (const auto* i = subscription.if_contains("id"); i && i->is_string())
    id = std::string(i->as_string());
  std::vector<std::pair<std::string, std::string>> headers;
  if (!etag.empty()) headers.emplace_back("If-Match", etag);
  return Call("PATCH", "/v1/customers/" + customer_id + "/subscriptions/" + id,
              json::value(std::move(body)), call, headers);
}

}  // namespace pc::connectors
