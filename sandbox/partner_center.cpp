// Partner Center v1 under /partnercenter/v1 (partner-center-api.md §0–§8).
#include <boost/algorithm/string/case_conv.hpp>
#include <boost/algorithm/string/predicate.hpp>

#include "core/uuid.h"
#include "sandbox/services.h"
#include "sandbox/support_upstream.h"
#include "sandbox/usage.h"

namespace pc::sandbox {

namespace {

constexpr std::string_view kMcaTemplate = "117a77b0-9360-443b-8795-c6dedc750cf9";
constexpr std::string_view kMcloudATemplate = "998b88de-aa99-4388-a42c-1b3517d49490";
constexpr int64_t kUsagePageSize = 2000;

json::object Link(const std::string& uri, const char* method = "GET") {
  return json::object{{"uri", uri}, {"method", method}, {"headers", json::array{}}};
}

json::object Attributes(const char* type) { return json::object{{"objectType", type}}; }

json::object Collection(json::array items, const std::string& self) {
  size_t n = items.size();
  return json::object{{"totalCount", n},
                      {"items", std::move(items)},
                      {"links", json::object{{"self", Link(self)}}},
                      {"attributes", Attributes("Collection")}};
}

http::Response Ok(http::Status status, const json::value& v) {
  return ExactJsonResponse(status, v);
}

http::Response NotFound(const std::string& what) {
  return PartnerCenterFault(http::Status::not_found, 1000, what);
}

// Token check (401 + WWW-Authenticate), then the customer named in the path (404 while it is
// hidden by the consistency delay).
std::optional<http::Response> Authorize(State& state, const http::Request& req) {
  if (state.Bearer(req)) return std::nullopt;
  auto res = PartnerCenterFault(http::Status::unauthorized, 401,
                                "Authorization token is missing, invalid or expired.");
  res.set("WWW-Authenticate", "OAuth realm=urn:cpsvc:cpid:" + std::string(kPartnerTenantId));
  return res;
}

const json::object* VisibleCustomer(State& state, const std::string& id) {
  const json::object* c = state.FindCustomer(id);
  if (!c || state.Hidden(std::string(c->at("id").as_string()))) return nullptr;
  return c;
}

http::Response CustomerNotFound(const std::string& id) {
  return PartnerCenterFault(http::Status::not_found, 60003,
                            "A customer with the tenant Id '" + id + "' was not found.");
}

Result<json::object> Body(const http::RequestContext& ctx) {
  return ParseJsonObject(ctx.request.body());
}

// Seek paging: the token is an offset the sandbox wrote; anything else is a 400.
Result<size_t> SeekOffset(http::RequestContext& ctx) {
  if (!boost::iequals(ctx.query["seekOperation"], "Next")) return size_t{0};
  std::string token = Header(ctx.request, "MS-ContinuationToken");
  if (token.size() < 4 || token.substr(0, 3) != "sbx") {
    return InvalidArgument("The continuation token is missing or invalid.");
  }
  try {
    return static_cast<size_t>(std::stoull(token.substr(3)));
  } catch (const std::exception&) {
    return InvalidArgument("The continuation token is missing or invalid.");
  }
}

// The page size of a usage line-item request: `size`, at most kUsagePageSize (absent or 0:
// kUsagePageSize); anything but a number is a 400.
Result<size_t> PageSize(http::RequestContext& ctx) {
  if (ctx.query["size"].empty()) return static_cast<size_t>(kUsagePageSize);
  size_t size = 0;
  try {
    size = std::min<size_t>(std::stoul(ctx.query["size"]), kUsagePageSize);
  } catch (const std::exception&) {
    return InvalidArgument("Invalid request input: size must be a number.");
  }
  return size == 0 ? static_cast<size_t>(kUsagePageSize) : size;
}

// Pages `all` from `offset` by `size`, adding continuationToken and links.next when more remain.
json::object Page(const json::array& all, size_t offset, size_t size, const std::string& self) {
  json::array items;
  for (size_t i = offset; i < all.size() && i < offset + size; ++i) items.push_back(all[i]);
  json::object out = Collection(std::move(items), self);
  if (offset + size < all.size()) {
    std::string token = "sbx" + std::to_string(offset + size);
    out["continuationToken"] = token;
    json::object next =
        Link(self + (self.find('?') == std::string::npos ? "?" : "&") + "seekOperation=Next");
    next["headers"] = json::array{json::object{{"key", "MS-ContinuationToken"}, {"value", token}}};
    out["links"].as_object()["next"] = next;
  }
  return out;
}

json::object CustomerListItem(const json::object& c) {
  json::object profile = c.at("companyProfile").as_object();
  return json::object{
      {"id", c.at("id")},
      {"companyProfile", profile},
      {"relationshipToPartner", "reseller"},
      {"links", json::object{{"self", Link("/customers/" + std::string(c.at("id").as_string()))}}},
      {"attributes", Attributes("Customer")}};
}

std::string RandomPassword(State& state) {
  static constexpr char kChars[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789=;.!";
  std::string p;
  for (int i = 0; i < 12; ++i) p += kChars[state.ids.Below(sizeof kChars - 1)];
  return p;
}

std::string NewEtag(State& state) {
  return std::to_string(state.ids.Next() % 10000000000000000000ULL);
}

// Fulfills an Azure plan order: a plan subscription and its first Azure subscription.
void Provision(State& state, json::object& order) {
  std::string cid(order.at("referenceCustomerId").as_string());
  std::string oid(order.at("id").as_string());
  std::string sub_id = boost::to_upper_copy(state.ids.Guid());
  std::string azure_id = state.ids.Guid();
  std::string now = Iso(state.Now());
  json::object sub{
      {"id", sub_id},
      {"customerId", cid},
      {"entitlementId", azure_id},
      {"offerId", std::string(kAzurePlanProductId) + ":" + std::string(kAzurePlanSkuId) + ":" +
                      std::string(kAzurePlanAvailabilityId)},
      {"offerName", "Azure plan"},
      {"friendlyName", "Azure plan"},
      {"quantity", 1},
      {"unitType", "Usage-based"},
      {"creationDate", now},
      {"effectiveStartDate", now},
      {"commitmentEndDate", "9999-12-31T00:00:00Z"},
      {"status", "active"},
      {"autoRenewEnabled", false},
      {"billingType", "usage"},
      {"billingCycle", "one_time"},
      {"contractType", "subscription"},
      {"isMicrosoftProduct", true},
      {"productType", json::object{{"id", "Azure"}, {"displayName", "Azure"}}},
      {"orderId", oid},
      {"links", json::object{{"self", Link("/customers/" + cid + "/subscriptions/" + sub_id)}}},
      {"attributes", json::object{{"etag", NewEtag(state)}, {"objectType", "Subscription"}}}};
  state.subscriptions.push_back(sub);
  state.AddAzureSubscription(azure_id, cid, "Microsoft Azure");
  for (auto& li : order["lineItems"].as_array()) li.as_object()["subscriptionId"] = sub_id;
  order["status"] = "completed";
}

json::object NewOrder(State& state, const std::string& cid, const json::array& lines) {
  std::string oid = state.ids.Guid();
  std::string base = "/customers/" + cid + "/orders/" + oid;
  json::array items;
  int n = 0;
  for (const auto& l : lines) {
    const auto& lo = l.as_object();
    std::string offer = StringCi(lo, "OfferId");
    if (offer.empty()) offer = StringCi(lo, "CatalogItemId");
    std::string name = StringCi(lo, "FriendlyName");
    items.push_back(json::object{
        {"lineItemNumber", n++},
        {"offerId", offer},
        {"friendlyName", name.empty() ? "Azure plan" : name},
        {"quantity", 1},
        {"termDuration", ""},
        {"transactionType", "New"},
        {"links", json::object{{"sku", Link("/products/" + std::string(kAzurePlanProductId) +
                                            "/skus/" + std::string(kAzurePlanSkuId))}}}});
  }
  json::object order{
      {"id", oid},
      {"alternateId", oid},
      {"referenceCustomerId", cid},
      {"billingCycle", "one_time"},
      {"currencyCode", "USD"},
      {"currencySymbol", "$"},
      {"lineItems", std::move(items)},
      {"creationDate", Iso(state.Now())},
      {"status", "pending"},
      {"transactionType", "UserPurchase"},
      {"links", json::object{{"self", Link(base)},
                             {"provisioningStatus", Link(base + "/provisioningstatus")},
                             {"patchOperation", Link(base, "PATCH")}}},
      {"attributes", Attributes("Order")}};
  state.created_at[oid] = state.Now();
  return order;
}

// An Azure plan line: offer DZH318Z0BPS6:0001[:availability], quantity 1.
std::optional<http::Response> CheckAzurePlanLines(State& state, const std::string& cid,
                                                  const json::value* lines) {
  if (!lines || !lines->is_array() || lines->as_array().empty()) {
    return PartnerCenterFault(http::Status::bad_request, 800002,
                              "Invalid request input: lineItems is required.");
  }
  for (const auto& l : lines->as_array()) {
    if (!l.is_object()) {
      return PartnerCenterFault(http::Status::bad_request, 800002,
                                "Invalid request input: each line item must be an object.");
    }
    std::string offer = StringCi(l.as_object(), "OfferId");
    if (offer.empty()) offer = StringCi(l.as_object(), "CatalogItemId");
    std::string plan = std::string(kAzurePlanProductId) + ":" + std::string(kAzurePlanSkuId);
    if (!boost::istarts_with(offer, plan)) {
      return PartnerCenterFault(http::Status::bad_request, 800002,
                                "Invalid request input: the sandbox sells only the Azure plan (" +
                                    plan + ":" + std::string(kAzurePlanAvailabilityId) +
                                    "), not '" + offer + "'.");
    }
  }
  if (state.agreements[cid].empty()) {
    return PartnerCenterFault(
        http::Status::forbidden, 13605,
        "Either a partner confirmation of the customer acceptance of the Microsoft Customer "
        "Agreement must be provided or the customer must accept the Microsoft Customer "
        "Agreement in the Microsoft Admin Center");
  }
  for (const auto& s : state.subscriptions) {
    if (s.at("customerId").as_string() == cid) {
      return PartnerCenterFault(http::Status::bad_request, 800002,
                                "The customer already has an Azure plan; create more Azure "
                                "subscriptions through ARM (Microsoft.Subscription aliases).");
    }
  }
  return std::nullopt;
}

}  // namespace

http::Response PartnerCenterFault(http::Status status, int code, std::string_view description,
                                  std::string_view error_name) {
  json::object o{{"code", code},
                 {"description", description},
                 {"data", json::array{}},
                 {"source", "PartnerFD"}};
  if (!error_name.empty()) {
    o["message"] = description;
    o["errorName"] = error_name;
    o["isRetryable"] = false;
    o["parameters"] = json::object{};
    o["errorMessageExtended"] = "InternalErrorCode=" + std::to_string(code);
  }
  auto res = http::JsonResponse(status, o);
  res.set(http::beast_http::field::content_type, "application/json; charset=utf-8");
  return res;
}

http::Response PartnerCenterThrottled(int retry_after_seconds) {
  auto res = http::JsonResponse(
      http::Status::too_many_requests,
      json::object{{"statusCode", 429},
                   {"message", "Rate limit is exceeded. Try again in " +
                                   std::to_string(retry_after_seconds) + " seconds."}});
  res.set("Retry-After", std::to_string(retry_after_seconds));
  return res;
}

void AddPartnerCenterRoutes(http::Router& router, State& state) {
  const std::string v1 = "/partnercenter/v1";
#define PC_GUARD()                \
  std::lock_guard lock(state.mu); \
  if (auto denied = Authorize(state, ctx.request)) return std::move(*denied)
#define PC_CUSTOMER(var)                                               \
  const json::object* var = VisibleCustomer(state, ctx.params["cid"]); \
  if (!var) return CustomerNotFound(ctx.params["cid"]);                \
  std::string cid(var->at("id").as_string())

  // HEAD (and GET) /v1/domains/{domain}: 200 = taken, 404 = available. Empty bodies.
  router.Add(http::Verb::get, v1 + "/domains/{domain}", [&state](http::RequestContext& ctx) {
    PC_GUARD();
    bool taken = boost::iequals(ctx.params["domain"], kPartnerDomain);
    for (const auto& c : state.customers) {
      if (boost::iequals(std::string(c.at("companyProfile").at("domain").as_string()),
                         ctx.params["domain"])) {
        taken = true;
      }
    }
    return http::Response{taken ? http::Status::ok : http::Status::not_found, 11};
  });

  router.Add(http::Verb::post, v1 + "/customers", [&state](http::RequestContext& ctx) {
    PC_GUARD();
    auto body = Body(ctx);
    if (!body.ok())
      return PartnerCenterFault(http::Status::bad_request, 800002, body.error().message);
    const json::value* cp = FindCi(*body, "CompanyProfile");
    const json::value* bp = FindCi(*body, "BillingProfile");
    if (!cp || !cp->is_object() || !bp || !bp->is_object()) {
      return PartnerCenterFault(http::Status::bad_request, 800002,
                                "Invalid request input: CompanyProfile and BillingProfile are "
                                "required.");
    }
    std::string domain = boost::to_lower_copy(StringCi(cp->as_object(), "Domain"));
    const json::value* addr = FindCi(bp->as_object(), "DefaultAddress");
    if (domain.empty() || !domain.ends_with(".onmicrosoft.com") || !addr || !addr->is_object()) {
      return PartnerCenterFault(http::Status::bad_request, 800002,
                                "Invalid request input: CompanyProfile.Domain (a "
                                "<prefix>.onmicrosoft.com domain) and "
                                "BillingProfile.DefaultAddress are required.");
    }
    const auto& a = addr->as_object();
    std::string country = boost::to_upper_copy(StringCi(a, "Country"));
    if (country == "UK") {
      return PartnerCenterFault(http::Status::bad_request, 800002,
                                "No validation rules were found for the country/region UK.");
    }
    if (country.size() != 2) {
      return PartnerCenterFault(http::Status::bad_request, 800002,
                                "Invalid request input: DefaultAddress.Country must be a "
                                "two-letter ISO code.");
    }
    std::string line1 = StringCi(a, "AddressLine1"), first = StringCi(a, "FirstName"),
                last = StringCi(a, "LastName"), st = StringCi(a, "State");
    if (line1.empty() || line1.size() > 200 || first.empty() || first.size() > 50 || last.empty() ||
        last.size() > 50 || st.size() > 2 || StringCi(a, "City").empty()) {
      return PartnerCenterFault(http::Status::bad_request, 800002,
                                "Invalid request input: the address needs AddressLine1 (1..200), "
                                "City, State (0..2), FirstName and LastName (1..50).");
    }
    static const char* kNeedsRegistration[] = {"AM", "AZ", "BY", "HU", "KZ", "KG", "MD", "RU",
                                               "TJ", "UZ", "UA", "BR", "IN", "ZA", "PL", "AE",
                                               "SA", "TR", "TH", "VN", "MM", "IQ", "SS", "VE"};
    for (const char* c : kNeedsRegistration) {
      if (country == c && StringCi(cp->as_object(), "OrganizationRegistrationNumber").empty()) {
        return PartnerCenterFault(http::Status::bad_request, 600049,
                                  "Organization registration id information is missing");
      }
    }
    for (const auto& c : state.customers) {
      if (c.at("companyProfile").at("domain").as_string() == domain) {
        return PartnerCenterFault(http::Status::conflict, 600033,
                                  "The domain " + domain + " is already in use.");
      }
    }
    std::string id = state.ids.Guid();
    json::object address{{"country", country},
                         {"city", StringCi(a, "City")},
                         {"state", st},
                         {"addressLine1", line1},
                         {"postalCode", StringCi(a, "PostalCode")},
                         {"firstName", first},
                         {"lastName", last},
                         {"phoneNumber", StringCi(a, "PhoneNumber")}};
    std::string culture = StringCi(bp->as_object(), "Culture");
    std::string company = StringCi(bp->as_object(), "CompanyName");
    json::object customer{
        {"id", id},
        {"commerceId", state.ids.Guid()},
        {"companyProfile", json::object{{"tenantId", id},
                                        {"domain", domain},
                                        {"companyName", company},
                                        {"attributes", Attributes("CustomerCompanyProfile")}}},
        {"billingProfile",
         json::object{{"id", state.ids.Guid()},
                      {"firstName", first},
                      {"lastName", last},
                      {"email", StringCi(bp->as_object(), "Email")},
                      {"culture", culture.empty() ? "en-US" : culture},
                      {"language", StringCi(bp->as_object(), "Language")},
                      {"companyName", company},
                      {"defaultAddress", address},
                      {"attributes", json::object{{"etag", NewEtag(state)},
                                                  {"objectType", "CustomerBillingProfile"}}}}},
        {"relationshipToPartner", "reseller"},
        {"allowDelegatedAccess", true},
        {"customDomains", json::array{domain}},
        {"links", json::object{{"self", Link("/customers/" + id)}}},
        {"attributes", Attributes("Customer")}};
    if (const json::value* g = FindCi(*body, "enableGDAPByDefault"); g && g->is_bool()) {
      customer["enableGDAPByDefault"] = g->as_bool();
    }
    state.customers.push_back(customer);
    state.created_at[id] = state.Now();
    json::object out = customer;
    out["userCredentials"] =
        json::object{{"userName", "admin"}, {"password", RandomPassword(state)}};
    return Ok(http::Status::created, out);
  });

  router.Add(http::Verb::get, v1 + "/customers", [&state](http::RequestContext& ctx) {
    PC_GUARD();
    auto offset = SeekOffset(ctx);
    if (!offset.ok())
      return PartnerCenterFault(http::Status::bad_request, 800002, offset.error().message);
    size_t size = 40;
    if (!ctx.query["size"].empty()) {
      try {
        size = std::stoul(ctx.query["size"]);
      } catch (const std::exception&) {
        return PartnerCenterFault(http::Status::bad_request, 800002,
                                  "Invalid request input: size must be a number.");
      }
    }
    std::string field, value;
    if (!ctx.query["filter"].empty()) {
      auto filter = ParseJsonObject(ctx.query["filter"]);
      if (!filter.ok())
        return PartnerCenterFault(http::Status::bad_request, 800002,
                                  "Invalid filter: " + filter.error().message);
      field = StringCi(*filter, "Field");
      value = StringCi(*filter, "Value");
      std::string op = StringCi(*filter, "Operator");
      if ((field != "CompanyName" && field != "Domain") || op != "starts_with") {
        return PartnerCenterFault(http::Status::bad_request, 800002,
                                  "Invalid filter: Field must be CompanyName or Domain and "
                                  "Operator starts_with.");
      }
      if (size == 0) size = 40;
    }
    if (size == 0 || size > 500) size = 40;
    json::array all;
    for (const auto& c : state.customers) {
      if (state.Hidden(std::string(c.at("id").as_string()))) continue;
      const auto& p = c.at("companyProfile").as_object();
      if (field == "Domain" && !boost::istarts_with(std::string(p.at("domain").as_string()), value))
        continue;
      if (field == "CompanyName" &&
          !boost::istarts_with(std::string(p.at("companyName").as_string()), value))
        continue;
      all.push_back(CustomerListItem(c));
    }
    return Ok(http::Status::ok,
              Page(all, *offset, size, "/customers?size=" + std::to_string(size)));
  });

  router.Add(http::Verb::get, v1 + "/customers/{cid}", [&state](http::RequestContext& ctx) {
    PC_GUARD();
    PC_CUSTOMER(c);
    return Ok(http::Status::ok, *c);
  });

  router.Add(http::Verb::get, v1 + "/agreements", [&state](http::RequestContext& ctx) {
    PC_GUARD();
    std::string type = ctx.query["agreementType"];
    json::array items;
    if (type.empty() || type == "*" || type == "MicrosoftCustomerAgreement") {
      items.push_back(json::object{{"templateId", kMcaTemplate},
                                   {"agreementType", "MicrosoftCustomerAgreement"},
                                   {"agreementLink", "https://aka.ms/customeragreement"},
                                   {"versionRank", 0},
                                   {"attributes", Attributes("AgreementMetaData")}});
    }
    if (type.empty() || type == "*" || type == "MicrosoftCloudAgreement") {
      items.push_back(json::object{{"templateId", kMcloudATemplate},
                                   {"agreementType", "MicrosoftCloudAgreement"},
                                   {"agreementLink", "https://aka.ms/microsoftcloudagreement"},
                                   {"versionRank", 0},
                                   {"attributes", Attributes("AgreementMetaData")}});
    }
    return Ok(http::Status::ok, Collection(std::move(items), "/agreements"));
  });

  router.Add(
      http::Verb::post, v1 + "/customers/{cid}/agreements", [&state](http::RequestContext& ctx) {
        PC_GUARD();
        PC_CUSTOMER(c);
        auto body = Body(ctx);
        if (!body.ok())
          return PartnerCenterFault(http::Status::bad_request, 800002, body.error().message);
        const json::value* contact = FindCi(*body, "primaryContact");
        std::string template_id = StringCi(*body, "templateId");
        std::string type = StringCi(*body, "type");
        if (!contact || !contact->is_object() || StringCi(contact->as_object(), "email").empty() ||
            StringCi(contact->as_object(), "firstName").empty() ||
            StringCi(contact->as_object(), "lastName").empty() ||
            (template_id != kMcaTemplate && template_id != kMcloudATemplate) || type.empty()) {
          return PartnerCenterFault(http::Status::bad_request, 800002,
                                    "Invalid request input: primaryContact (firstName, lastName, "
                                    "email), a known templateId and type are required.");
        }
        const auto& co = contact->as_object();
        json::object pc{{"firstName", StringCi(co, "firstName")},
                        {"lastName", StringCi(co, "lastName")},
                        {"email", StringCi(co, "email")},
                        {"phoneNumber", StringCi(co, "phoneNumber")}};
        for (const auto& a : state.agreements[cid]) {
          if (a.at("primaryContact") == json::value(pc)) {
            return PartnerCenterFault(
                http::Status::conflict, 600061,
                "A partner confirmed agreement already exists for the customer.",
                "PartnerConfirmedAgreementAlreadyExists");
          }
        }
        std::string date = StringCi(*body, "dateAgreed");
        json::object a{{"primaryContact", pc},
                       {"templateId", template_id},
                       {"dateAgreed", date.empty() ? Iso(state.Now()) : date},
                       {"type", type},
                       {"agreementLink", "https://aka.ms/customeragreement"},
                       {"userId", state.ids.Guid()},
                       {"customerId", cid},
                       {"attributes", Attributes("Agreement")}};
        state.agreements[cid].push_back(a);
        return Ok(http::Status::created, a);
      });

  router.Add(http::Verb::get, v1 + "/customers/{cid}/agreements",
             [&state](http::RequestContext& ctx) {
               PC_GUARD();
               PC_CUSTOMER(c);
               json::array items;
               for (const auto& a : state.agreements[cid]) {
                 std::string type = ctx.query["agreementType"];
                 if (type.empty() || type == "*" || a.at("type").as_string() == type)
                   items.push_back(a);
               }
               return Ok(http::Status::ok,
                         Collection(std::move(items), "/customers/" + cid + "/agreements"));
             });

  router.Add(http::Verb::post, v1 + "/customers/{cid}/carts", [&state](http::RequestContext& ctx) {
    PC_GUARD();
    PC_CUSTOMER(c);
    auto body = Body(ctx);
    if (!body.ok())
      return PartnerCenterFault(http::Status::bad_request, 800002, body.error().message);
    const json::value* lines = FindCi(*body, "lineItems");
    if (auto err = CheckAzurePlanLines(state, cid, lines)) return std::move(*err);
    std::string id = state.ids.Guid();
    json::array items;
    int n = 0;
    for (const auto& l : lines->as_array()) {
      std::string cycle = StringCi(l.as_object(), "billingCycle");
      if (cycle != "one_time" && cycle != "monthly") {
        return PartnerCenterFault(http::Status::bad_request, 800002,
                                  "Invalid request input: billingCycle must be one_time or "
                                  "monthly for the Azure plan.");
      }
      items.push_back(json::object{{"id", n++},
                                   {"catalogItemId", StringCi(l.as_object(), "catalogItemId")},
                                   {"friendlyName", StringCi(l.as_object(), "friendlyName")},
                                   {"quantity", 1},
                                   {"currencyCode", "USD"},
                                   {"billingCycle", cycle},
                                   {"orderGroup", "0"}});
    }
    Timestamp now = state.Now();
    json::object cart{{"id", id},
                      {"creationTimestamp", Iso(now)},
                      {"lastModifiedTimestamp", Iso(now)},
                      {"expirationTimestamp", Iso(now + std::chrono::minutes(15))},
                      {"lastModifiedUser", state.ids.Guid()},
                      {"status", "Active"},
                      {"lineItems", std::move(items)},
                      {"links", json::object{{"self", Link("/customers/" + cid + "/carts/" + id)}}},
                      {"attributes", Attributes("Cart")}};
    state.carts[id] = cart;
    return Ok(http::Status::created, cart);
  });

  router.Add(http::Verb::post, v1 + "/customers/{cid}/carts/{cart}/checkout",
             [&state](http::RequestContext& ctx) {
               PC_GUARD();
               PC_CUSTOMER(c);
               auto it = state.carts.find(ctx.params["cart"]);
               if (it == state.carts.end())
                 return NotFound("Cart " + ctx.params["cart"] + " was not found.");
               if (it->second.at("status") != "Active") {
                 return PartnerCenterFault(
                     http::Status::conflict, 800064,
                     "Cart " + ctx.params["cart"] + " is being processed by another request");
               }
               if (auto err = CheckAzurePlanLines(state, cid, &it->second.at("lineItems")))
                 return std::move(*err);
               it->second["status"] = "Ordered";
               json::object order = NewOrder(state, cid, it->second.at("lineItems").as_array());
               Provision(state, order);
               state.orders.push_back(order);
               return Ok(http::Status::created,
                         json::object{{"orders", json::array{order}},
                                      {"orderErrors", json::array{}},
                                      {"attributes", Attributes("CartCheckoutResult")}});
             });

  router.Add(http::Verb::post, v1 + "/customers/{cid}/orders", [&state](http::RequestContext& ctx) {
    PC_GUARD();
    PC_CUSTOMER(c);
    auto body = Body(ctx);
    if (!body.ok())
      return PartnerCenterFault(http::Status::bad_request, 800002, body.error().message);
    const json::value* lines = FindCi(*body, "LineItems");
    if (auto err = CheckAzurePlanLines(state, cid, lines)) return std::move(*err);
    json::object order = NewOrder(state, cid, lines->as_array());
    json::object response = order;  // the create response shows "pending"
    Provision(state, order);
    state.orders.push_back(order);
    return Ok(http::Status::created, response);
  });

  auto find_order = [&state](const std::string& cid, const std::string& oid) -> json::object* {
    for (auto& o : state.orders) {
      if (o.at("referenceCustomerId").as_string() == cid &&
          boost::iequals(std::string(o.at("id").as_string()), oid) &&
          !state.Hidden(std::string(o.at("id").as_string()))) {
        return &o;
      }
    }
    return nullptr;
  };
  router.Add(http::Verb::get, v1 + "/customers/{cid}/orders", [&state](http::RequestContext& ctx) {
    PC_GUARD();
    PC_CUSTOMER(c);
    json::array items;
    for (const auto& o : state.orders) {
      if (o.at("referenceCustomerId").as_string() == cid &&
          !state.Hidden(std::string(o.at("id").as_string()))) {
        items.push_back(o);
      }
    }
    return Ok(http::Status::ok, Collection(std::move(items), "/customers/" + cid + "/orders"));
  });
  router.Add(http::Verb::get, v1 + "/customers/{cid}/orders/{oid}",
             [&state, find_order](http::RequestContext& ctx) {
               PC_GUARD();
               PC_CUSTOMER(c);
               json::object* o = find_order(cid, ctx.params["oid"]);
               if (!o) return NotFound("Order " + ctx.params["oid"] + " was not found.");
               return Ok(http::Status::ok, *o);
             });
  router.Add(
      http::Verb::get, v1 + "/customers/{cid}/orders/{oid}/provisioningstatus",
      [&state, find_order](http::RequestContext& ctx) {
        PC_GUARD();
        PC_CUSTOMER(c);
        json::object* o = find_order(cid, ctx.params["oid"]);
        if (!o) return NotFound("Order " + ctx.params["oid"] + " was not found.");
        json::array items;
        for (const auto& li : o->at("lineItems").as_array()) {
          items.push_back(
              json::object{{"orderLineItemId", li.at("lineItemNumber")},
                           {"lineItemNumber", li.at("lineItemNumber")},
                           {"status", "fulfilled"},
                           {"quantityProvisioningInformation",
                            json::array{json::object{{"quantity", 1}, {"status", "fulfilled"}}}}});
        }
        return Ok(http::Status::ok,
                  Collection(std::move(items), "/customers/" + cid + "/orders/" +
                                                   ctx.params["oid"] + "/provisioningstatus"));
      });

  router.Add(
      http::Verb::get, v1 + "/customers/{cid}/subscriptions", [&state](http::RequestContext& ctx) {
        PC_GUARD();
        PC_CUSTOMER(c);
        json::array items;
        for (const auto& s : state.subscriptions) {
          if (s.at("customerId").as_string() != cid) continue;
          if (!ctx.query["order_id"].empty() &&
              !boost::iequals(std::string(s.at("orderId").as_string()), ctx.query["order_id"]))
            continue;
          items.push_back(s);
        }
        return Ok(http::Status::ok,
                  Collection(std::move(items), "/customers/" + cid + "/subscriptions"));
      });
  auto find_sub = [&state](const std::string& cid, const std::string& sid) -> const json::object* {
    for (const auto& s : state.subscriptions) {
      if (s.at("customerId").as_string() == cid &&
          boost::iequals(std::string(s.at("id").as_string()), sid))
        return &s;
    }
    return nullptr;
  };
  router.Add(http::Verb::get, v1 + "/customers/{cid}/subscriptions/{sid}",
             [&state, find_sub](http::RequestContext& ctx) {
               PC_GUARD();
               PC_CUSTOMER(c);
               const json::object* s = find_sub(cid, ctx.params["sid"]);
               if (!s)
                 return PartnerCenterFault(http::Status::not_found, 20003,
                                           "Subscription not found");
               return Ok(http::Status::ok, *s);
             });
  router.Add(
      http::Verb::get, v1 + "/customers/{cid}/subscriptions/{sid}/azureEntitlements",
      [&state, find_sub](http::RequestContext& ctx) {
        PC_GUARD();
        PC_CUSTOMER(c);
        const json::object* s = find_sub(cid, ctx.params["sid"]);
        if (!s) return PartnerCenterFault(http::Status::not_found, 20003, "Subscription not found");
        std::string sid(s->at("id").as_string());
        json::array items;
        for (const auto& a : state.azure_subscriptions) {
          if (a.plan_subscription_id != sid) continue;
          items.push_back(json::object{{"id", a.subscription_id},
                                       {"friendlyName", a.display_name},
                                       {"status", EntitlementStatus(a, state.Now())},
                                       {"subscriptionId", sid},
                                       {"attributes", Attributes("AzureEntitlement")}});
        }
        return Ok(http::Status::ok,
                  Collection(std::move(items),
                             "/customers/" + cid + "/subscriptions/" + sid + "/azureEntitlements"));
      });

  router.Add(http::Verb::post, v1 + "/customers/{cid}/applicationconsents",
             [&state](http::RequestContext& ctx) {
               PC_GUARD();
               PC_CUSTOMER(c);
               auto body = Body(ctx);
               if (!body.ok())
                 return PartnerCenterFault(http::Status::bad_request, 800002, body.error().message);
               std::string app = StringCi(*body, "applicationId");
               const json::value* grants = FindCi(*body, "applicationGrants");
               if (!Uuid::Parse(app).ok() || !grants || !grants->is_array() ||
                   grants->as_array().empty()) {
                 return PartnerCenterFault(http::Status::bad_request, 800002,
                                           "Invalid request input: applicationId (a GUID) and "
                                           "applicationGrants are required.");
               }
               for (const auto& a : state.application_consents) {
                 if (a.at("customerId").as_string() == cid &&
                     boost::iequals(std::string(a.at("applicationId").as_string()), app)) {
                   return PartnerCenterFault(
                       http::Status::conflict, 800002,
                       "Permission entry already exists for application " + app + ".");
                 }
               }
               json::array g;
               for (const auto& x : grants->as_array()) {
                 if (!x.is_object()) continue;
                 g.push_back(json::object{{"enterpriseApplicationId",
                                           StringCi(x.as_object(), "enterpriseApplicationId")},
                                          {"scope", StringCi(x.as_object(), "scope")}});
               }
               json::object consent{{"applicationId", app},
                                    {"displayName", StringCi(*body, "displayName")},
                                    {"applicationGrants", std::move(g)}};
               json::object stored = consent;
               stored["customerId"] = cid;
               state.application_consents.push_back(stored);
               AddServicePrincipal(state, cid, app, StringCi(*body, "displayName"));
               return Ok(http::Status::created, consent);
             });
  router.Add(
      http::Verb::delete_, v1 + "/customers/{cid}/applicationconsents/{app}",
      [&state](http::RequestContext& ctx) {
        PC_GUARD();
        PC_CUSTOMER(c);
        auto& list = state.application_consents;
        for (auto it = list.begin(); it != list.end(); ++it) {
          if (it->at("customerId").as_string() == cid &&
              boost::iequals(std::string(it->at("applicationId").as_string()), ctx.params["app"])) {
            list.erase(it);
            RemoveServicePrincipal(state, cid, ctx.params["app"]);
            return http::Response{http::Status::ok, 11};
          }
        }
        return NotFound("No consent for application " + ctx.params["app"] + ".");
      });

  // Service requests (legacy create kept, as the reference advises for the emulator).
  auto sr_status = [](const json::value* v) -> std::string {
    static const char* kNames[] = {"none", "open", "closed", "attention_needed"};
    if (v && v->is_int64() && v->as_int64() >= 0 && v->as_int64() < 4) return kNames[v->as_int64()];
    if (v && v->is_string()) return std::string(v->as_string());
    return "open";
  };
  router.Add(
      http::Verb::post, v1 + "/servicerequests/{locale}",
      [&state, sr_status](http::RequestContext& ctx) {
        PC_GUARD();
        auto body = Body(ctx);
        if (!body.ok())
          return PartnerCenterFault(http::Status::bad_request, 800002, body.error().message);
        std::string title = StringCi(*body, "Title"), description = StringCi(*body, "Description");
        std::string severity = StringCi(*body, "Severity");
        if (title.empty() || description.empty()) {
          return PartnerCenterFault(http::Status::bad_request, 800002,
                                    "Invalid request input: Title and Description are required.");
        }
        if (severity.empty()) severity = "minimal";
        if (severity != "unknown" && severity != "critical" && severity != "moderate" &&
            severity != "minimal") {
          return PartnerCenterFault(
              http::Status::bad_request, 800002,
              "Invalid request input: Severity must be critical, moderate or minimal.");
        }
        std::string id = std::to_string(600000000000000ULL + state.ids.Below(99999999999999ULL));
        std::string now = Iso(state.Now());
        json::object org{
            {"id", kPartnerTenantId}, {"name", "Contoso CSP"}, {"phoneNumber", "4255550100"}};
        json::object sr{
            {"title", title},
            {"description", description},
            {"severity", severity},
            {"supportTopicId", StringCi(*body, "SupportTopicId")},
            {"id", id},
            {"status", "open"},
            {"organization", org},
            {"primaryContact", json::object{{"organization", org},
                                            {"contactId", state.ids.Guid()},
                                            {"lastName", "Admin"},
                                            {"email", "admin@contoso-csp.onmicrosoft.com"}}},
            {"createdDate", now},
            {"lastModifiedDate", now},
            {"lastClosedDate", "0001-01-01T00:00:00"},
            {"notes", json::array{}},
            {"countryCode", "US"},
            {"attributes", Attributes("ServiceRequest")}};
        if (auto* cust = FindCi(*body, "CustomerId"); cust && cust->is_string())
          sr["customerId"] = *cust;
        (void)sr_status;
        state.service_requests.push_back(sr);
        return Ok(http::Status::created, sr);
      });
  auto find_sr = [&state](const std::string& id) -> json::object* {
    for (auto& s : state.service_requests) {
      if (s.at("id").as_string() == id) return &s;
    }
    return nullptr;
  };
  router.Add(http::Verb::get, v1 + "/servicerequests/{id}",
             [&state, find_sr](http::RequestContext& ctx) {
               PC_GUARD();
               json::object* sr = find_sr(ctx.params["id"]);
               if (!sr) return NotFound("Service request " + ctx.params["id"] + " was not found.");
               return Ok(http::Status::ok, *sr);
             });
  router.Add(
      http::Verb::patch, v1 + "/servicerequests/{id}",
      [&state, find_sr, sr_status](http::RequestContext& ctx) {
        PC_GUARD();
        json::object* sr = find_sr(ctx.params["id"]);
        if (!sr) return NotFound("Service request " + ctx.params["id"] + " was not found.");
        auto body = Body(ctx);
        if (!body.ok())
          return PartnerCenterFault(http::Status::bad_request, 800002, body.error().message);
        if (auto* note = FindCi(*body, "NewNote"); note && note->is_object()) {
          std::string text = StringCi(note->as_object(), "Text");
          if (text.empty()) {
            return PartnerCenterFault(http::Status::bad_request, 800002,
                                      "Invalid request input: NewNote.Text is empty.");
          }
          (*sr)["notes"].as_array().push_back(json::object{
              {"createdByName", "Partner"}, {"createdDate", Iso(state.Now())}, {"text", text}});
        }
        if (auto* st = FindCi(*body, "Status")) (*sr)["status"] = sr_status(st);
        (*sr)["lastModifiedDate"] = Iso(state.Now());
        return Ok(http::Status::ok, *sr);
      });
  router.Add(http::Verb::get, v1 + "/servicerequests", [&state](http::RequestContext& ctx) {
    PC_GUARD();
    json::array items;
    for (const auto& s : state.service_requests) {
      if (!ctx.query["status"].empty() && s.at("status").as_string() != ctx.query["status"])
        continue;
      items.push_back(s);
    }
    return Ok(http::Status::ok, Collection(std::move(items), "/servicerequests"));
  });
  router.Add(http::Verb::get, v1 + "/customers/{cid}/servicerequests",
             [&state](http::RequestContext& ctx) {
               PC_GUARD();
               PC_CUSTOMER(c);
               json::array items;
               for (const auto& s : state.service_requests) {
                 if (s.contains("customerId") && s.at("customerId").as_string() == cid)
                   items.push_back(s);
               }
               return Ok(http::Status::ok,
                         Collection(std::move(items), "/customers/" + cid + "/servicerequests"));
             });

  router.Add(http::Verb::get, v1 + "/invoices", [&state](http::RequestContext& ctx) {
    PC_GUARD();
    json::array items;
    YearMonth month = YearMonth::Containing(state.Now()).Prev();
    // One invoice per ended month: the last three, or back to the oldest Azure subscription's
    // month (at most 24).
    int count = 3;
    for (const auto& a : state.azure_subscriptions) {
      YearMonth first = YearMonth::Containing(a.created);
      int n = 0;
      for (YearMonth m = month; first <= m && n < 24; m = m.Prev()) ++n;
      count = std::max(count, n);
    }
    for (int i = 0; i < count; ++i, month = month.Prev()) {
      std::string id = "G" + std::to_string(100000000 + month.year() * 100 + month.month());
      items.push_back(json::object{
          {"id", id},
          {"invoiceDate", Iso(month.Next().Start())},
          {"totalCharges", DecimalJson("0.00")},
          {"paidAmount", DecimalJson("0.00")},
          {"currencyCode", "USD"},
          {"currencySymbol", "$"},
          {"pdfDownloadLink", "/invoices/" + id + "/documents/statement"},
          {"invoiceDetails",
           json::array{json::object{
               {"invoiceLineItemType", "usage_line_items"},
               {"billingProvider", "marketplace"},
               {"links", json::object{{"self", Link("/invoices/" + id + "/lineitems")}}},
               {"attributes", Attributes("InvoiceDetail")}}}},
          {"documentType", "invoice"},
          {"invoiceType", "Recurring"},
          {"links", json::object{{"self", Link("/invoices/" + id)}}},
          {"attributes", Attributes("Invoice")}});
    }
    return Ok(http::Status::ok, Collection(std::move(items), "/invoices"));
  });

  // Daily rated usage (v1 sync): every Azure subscription, creation to the sandbox clock.
  router.Add(
      http::Verb::get, v1 + "/invoices/unbilled/lineitems", [&state](http::RequestContext& ctx) {
        PC_GUARD();
        if (!boost::iequals(ctx.query["provider"], "onetime") ||
            !boost::iequals(ctx.query["invoicelineitemtype"], "usagelineitems")) {
          return PartnerCenterFault(http::Status::bad_request, 800002,
                                    "Invalid request input: provider=onetime and "
                                    "invoicelineitemtype=usagelineitems are required.");
        }
        std::string period =
            ctx.query["period"].empty() ? "current" : boost::to_lower_copy(ctx.query["period"]);
        if (period != "current" && period != "previous") {
          return PartnerCenterFault(http::Status::bad_request, 800002,
                                    "Invalid request input: period must be current or previous.");
        }
        auto offset = SeekOffset(ctx);
        if (!offset.ok())
          return PartnerCenterFault(http::Status::bad_request, 800002, offset.error().message);
        auto size = PageSize(ctx);
        if (!size.ok())
          return PartnerCenterFault(http::Status::bad_request, 800002, size.error().message);
        Timestamp now = state.Now();
        YearMonth month = YearMonth::Containing(now);
        if (period == "previous") month = month.Prev();
        auto subs = state.UsageSubscriptions();
        json::array all;
        for (const auto& line : MonthUsage(state.seed, subs, month, state.UsageUntil()))
          all.push_back(UsageLineJson(line));
        return Ok(
            http::Status::ok,
            Page(all, *offset, *size,
                 "/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=usagelineitems"
                 "&currencycode=usd&period=" +
                     period + "&size=" + std::to_string(*size)));
      });
  // Billed daily rated usage (v1 sync): the invoice's month, every rated window.
  router.Add(
      http::Verb::get, v1 + "/invoices/{invoiceId}/lineitems", [&state](http::RequestContext& ctx) {
        PC_GUARD();
        if (!boost::iequals(ctx.query["provider"], "onetime") ||
            !boost::iequals(ctx.query["invoicelineitemtype"], "usagelineitems")) {
          return PartnerCenterFault(http::Status::bad_request, 800002,
                                    "Invalid request input: provider=onetime and "
                                    "invoicelineitemtype=usagelineitems are required.");
        }
        std::string id = ctx.params["invoiceId"];
        auto month = InvoiceMonth(id);
        if (!month || *month >= YearMonth::Containing(state.Now())) {
          return PartnerCenterFault(http::Status::not_found, 1000,
                                    "Invoice " + id + " was not found.");
        }
        auto offset = SeekOffset(ctx);
        if (!offset.ok())
          return PartnerCenterFault(http::Status::bad_request, 800002, offset.error().message);
        auto size = PageSize(ctx);
        if (!size.ok())
          return PartnerCenterFault(http::Status::bad_request, 800002, size.error().message);
        auto subs = state.UsageSubscriptions();
        json::array all;
        for (const auto& line : MonthUsage(state.seed, subs, *month, month->End())) {
          json::object j = UsageLineJson(line);
          j["invoiceNumber"] = id;
          all.push_back(std::move(j));
        }
        return Ok(http::Status::ok,
                  Page(all, *offset, *size,
                       "/invoices/" + id +
                           "/lineitems?provider=onetime&invoicelineitemtype=usagelineitems"
                           "&currencycode=usd&size=" +
                           std::to_string(*size)));
      });
#undef PC_GUARD
#undef PC_CUSTOMER
}

}  // namespace pc::sandbox
