// Microsoft Graph under /graph/v1.0, in the tenant of the caller's token: users (create) and
// the service principals application consents created (get by appId, list with $filter).
#include <boost/algorithm/string/case_conv.hpp>
#include <boost/algorithm/string/predicate.hpp>

#include "core/random.h"
#include "core/uuid.h"
#include "sandbox/services.h"

namespace pc::sandbox {

namespace {

constexpr std::string_view kMetadata = "https://graph.microsoft.com/v1.0/$metadata#";

// A v4-shaped GUID from a hash: deterministic object ids.
std::string HashGuid(const std::string& text) {
  std::string h = Sha256Hex(text).substr(0, 32);
  h[12] = '4';
  h[16] = "89ab"[h[16] % 4];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

// The wire form: the stored object without the sandbox's "tenantId" bookkeeping.
json::object Wire(const json::object& stored) {
  json::object out = stored;
  out.erase("tenantId");
  return out;
}

std::optional<http::Response> RequireToken(State& state, const http::Request& req,
                                           std::string& tenant) {
  auto token = state.Bearer(req);
  if (!token) {
    return GraphError(http::Status::unauthorized, "InvalidAuthenticationToken",
                      "Access token is empty or has expired.");
  }
  tenant = token->tenant_id;
  return std::nullopt;
}

}  // namespace

const json::object& AddServicePrincipal(State& state, const std::string& tenant_id,
                                        const std::string& app_id,
                                        const std::string& display_name) {
  for (const auto& sp : state.service_principals) {
    if (sp.at("tenantId").as_string() == tenant_id &&
        boost::iequals(std::string(sp.at("appId").as_string()), app_id)) {
      return sp;
    }
  }
  std::string app = boost::to_lower_copy(app_id);
  std::string name = display_name.empty() ? app : display_name;
  state.service_principals.push_back(json::object{
      {"id",
       HashGuid("servicePrincipal|" + std::to_string(state.seed) + "|" + tenant_id + "|" + app)},
      {"deletedDateTime", nullptr},
      {"accountEnabled", true},
      {"appDisplayName", name},
      {"appId", app},
      {"appOwnerOrganizationId", kPartnerTenantId},
      {"displayName", name},
      {"servicePrincipalNames", json::array{app}},
      {"servicePrincipalType", "Application"},
      {"signInAudience", "AzureADMultipleOrgs"},
      {"tags", json::array{}},
      {"tenantId", tenant_id}});
  return state.service_principals.back();
}

void RemoveServicePrincipal(State& state, const std::string& tenant_id, const std::string& app_id) {
  std::erase_if(state.service_principals, [&](const json::object& sp) {
    return sp.at("tenantId").as_string() == tenant_id &&
           boost::iequals(std::string(sp.at("appId").as_string()), app_id);
  });
}

http::Response GraphError(http::Status status, std::string_view code, std::string_view message) {
  std::string date = FormatTimestamp(Now()).substr(0, 19);
  std::string id = Uuid::V4().ToString();
  json::object inner{{"date", date}, {"request-id", id}, {"client-request-id", id}};
  return http::JsonResponse(
      status, json::object{{"error", json::object{{"code", code},
                                                  {"message", message},
                                                  {"innerError", std::move(inner)}}}});
}

void AddGraphRoutes(http::Router& router, State& state) {
  // GET /servicePrincipals?$filter=appId eq '{appId}' (or no filter: all in the tenant).
  router.Add(http::Verb::get, "/graph/v1.0/servicePrincipals", [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    std::string tenant;
    if (auto denied = RequireToken(state, ctx.request, tenant)) return std::move(*denied);
    std::string filter = ctx.query["$filter"];
    std::string app;
    if (!filter.empty()) {
      const std::string prefix = "appId eq '";
      if (!boost::istarts_with(filter, prefix) || !filter.ends_with("'") ||
          filter.size() <= prefix.size() + 1) {
        return GraphError(
            http::Status::bad_request, "BadRequest",
            "Invalid filter clause: the sandbox supports $filter=appId eq '{appId}'.");
      }
      app = filter.substr(prefix.size(), filter.size() - prefix.size() - 1);
    }
    json::array value;
    for (const auto& sp : state.service_principals) {
      if (sp.at("tenantId").as_string() != tenant) continue;
      if (!app.empty() && !boost::iequals(std::string(sp.at("appId").as_string()), app)) continue;
      value.push_back(Wire(sp));
    }
    return http::JsonResponse(
        http::Status::ok,
        json::object{{"@odata.context", std::string(kMetadata) + "servicePrincipals"},
                     {"value", std::move(value)}});
  });
  // GET /servicePrincipals(appId='{appId}'): one segment, so the router sees a parameter.
  router.Add(http::Verb::get, "/graph/v1.0/{segment}", [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    std::string tenant;
    if (auto denied = RequireToken(state, ctx.request, tenant)) return std::move(*denied);
    const std::string& segment = ctx.params["segment"];
    const std::string prefix = "servicePrincipals(appId='";
    if (!segment.starts_with(prefix) || !segment.ends_with("')")) {
      return GraphError(http::Status::bad_request, "BadRequest",
                        "Resource not found for the segment '" + segment + "'.");
    }
    std::string app = segment.substr(prefix.size(), segment.size() - prefix.size() - 2);
    for (const auto& sp : state.service_principals) {
      if (sp.at("tenantId").as_string() == tenant &&
          boost::iequals(std::string(sp.at("appId").as_string()), app)) {
        json::object out = Wire(sp);
        out["@odata.context"] = std::string(kMetadata) + "servicePrincipals/$entity";
        return http::JsonResponse(http::Status::ok, out);
      }
    }
    return GraphError(http::Status::not_found, "Request_ResourceNotFound",
                      "Resource '" + app +
                          "' does not exist or one of its queried "
                          "reference-property objects are not present.");
  });

  router.Add(http::Verb::post, "/graph/v1.0/users", [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    auto token = state.Bearer(ctx.request);
    if (!token) {
      return GraphError(http::Status::unauthorized, "InvalidAuthenticationToken",
                        "Access token is empty or has expired.");
    }
    auto body = ParseJsonObject(ctx.request.body());
    if (!body.ok())
      return GraphError(http::Status::bad_request, "BadRequest", body.error().message);
    std::string upn = StringCi(*body, "userPrincipalName");
    std::string display = StringCi(*body, "displayName");
    std::string nickname = StringCi(*body, "mailNickname");
    const json::value* enabled = FindCi(*body, "accountEnabled");
    const json::value* profile = FindCi(*body, "passwordProfile");
    if (upn.empty() || display.empty() || nickname.empty() || !enabled || !enabled->is_bool() ||
        !profile || !profile->is_object() || StringCi(profile->as_object(), "password").empty()) {
      return GraphError(http::Status::bad_request, "Request_BadRequest",
                        "Invalid value specified for property: accountEnabled, displayName, "
                        "mailNickname, userPrincipalName and passwordProfile.password are "
                        "required.");
    }
    if (token->tenant_id == kPartnerTenantId) {
      return GraphError(http::Status::forbidden, "Authorization_RequestDenied",
                        "Insufficient privileges to complete the operation: use a token for the "
                        "customer tenant.");
    }
    for (const auto& u : state.users) {
      if (boost::iequals(std::string(u.at("userPrincipalName").as_string()), upn)) {
        return GraphError(http::Status::bad_request, "Request_BadRequest",
                          "Another object with the same value for property userPrincipalName "
                          "already exists.");
      }
    }
    json::object user{
        {"@odata.context", "https://graph.microsoft.com/v1.0/$metadata#users/$entity"},
        {"id", state.ids.Guid()},
        {"businessPhones", json::array{}},
        {"displayName", display},
        {"givenName", nullptr},
        {"jobTitle", nullptr},
        {"mail", nullptr},
        {"mobilePhone", nullptr},
        {"officeLocation", nullptr},
        {"preferredLanguage", nullptr},
        {"surname", nullptr},
        {"userPrincipalName", upn}};
    json::object stored = user;
    stored["tenantId"] = token->tenant_id;
    stored["accountEnabled"] = enabled->as_bool();
    state.users.push_back(std::move(stored));
    return http::JsonResponse(http::Status::created, user);
  });
}

}  // namespace pc::sandbox
