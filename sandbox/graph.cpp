// Microsoft Graph under /graph/v1.0: users in a customer tenant (the tenant of the caller's token).
#include <boost/algorithm/string/predicate.hpp>

#include "core/uuid.h"
#include "sandbox/services.h"

namespace pc::sandbox {

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
  router.Add(http::Verb::post, "/graph/v1.0/users", [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    auto token = state.Bearer(ctx.request);
    if (!token) {
      return GraphError(http::Status::unauthorized, "InvalidAuthenticationToken",
                        "Access token is empty or has expired.");
    }
    auto body = ParseJsonObject(ctx.request.body());
    if (!body.ok()) return GraphError(http::Status::bad_request, "BadRequest", body.error().message);
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
    json::object user{{"@odata.context", "https://graph.microsoft.com/v1.0/$metadata#users/$entity"},
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
