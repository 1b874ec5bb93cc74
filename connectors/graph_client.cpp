#include "connectors/graph_client.h"

#include "core/json.h"

namespace pc::connectors {

GraphClient::GraphClient(HttpClient& http, TokenProvider& tokens, std::string base_url)
    : http_(http), tokens_(tokens), base_url_(std::move(base_url)) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

Result<std::optional<std::string>> GraphClient::ServicePrincipalId(const std::string& tenant,
                                                                   const std::string& app_id) {
  HttpResponse res;
  for (int attempt = 0; attempt < 2; ++attempt) {
    PC_ASSIGN_OR_RETURN(std::string token, tokens_.Token(tenant, kGraphAudience));
    HttpRequest req;
    req.url = base_url_ + "/v1.0/servicePrincipals(appId='" + app_id + "')";
    req.headers = {{"Authorization", "Bearer " + token}, {"Accept", "application/json"}};
    req.timeout = std::chrono::seconds(30);
    PC_ASSIGN_OR_RETURN(res, http_.Send(req));
    // A token the upstream no longer accepts (revoked, or expired by its clock before ours):
    // fetch a new one once, as the Partner Center and ARM clients do.
    if (res.status != 401) break;
    tokens_.Invalidate(tenant, kGraphAudience);
  }
  if (res.status == 404) return std::optional<std::string>{};
  if (res.status != 200) {
    return Unavailable("Microsoft Graph answered " + std::to_string(res.status) +
                       " to the service principal lookup");
  }
  auto body = ParseJson(res.body);
  const auto* id = body.ok() && body->is_object() ? body->as_object().if_contains("id") : nullptr;
  if (!id || !id->is_string()) return Unavailable("Microsoft Graph answered without an id");
  return std::optional<std::string>(std::string(id->as_string()));
}

Result<HttpResponse> GraphClient::Send(const std::string& tenant, const std::string& method,
                                       const std::string& path, const std::string& body) {
  HttpResponse res;
  for (int attempt = 0; attempt < 2; ++attempt) {
    PC_ASSIGN_OR_RETURN(std::string token, tokens_.Token(tenant, kGraphAudience));
    HttpRequest req;
    req.method = method;
    req.url = base_url_ + path;
    req.headers = {{"Authorization", "Bearer " + token}, {"Accept", "application/json"}};
    if (!body.empty()) {
      req.headers.emplace_back("Content-Type", "application/json");
      req.body = body;
    }
    req.timeout = std::chrono::seconds(30);
    PC_ASSIGN_OR_RETURN(res, http_.Send(req));
    if (res.status != 401) break;
    tokens_.Invalidate(tenant, kGraphAudience);
  }
  return res;
}

namespace {

// Graph's {"error":{"code","message"}} message, or the status.
std::string GraphMessage(const HttpResponse& res) {
  auto body = ParseJson(res.body);
  if (body.ok() && body->is_object()) {
    if (const auto* e = body->as_object().if_contains("error"); e && e->is_object()) {
      if (const auto* m = e->as_object().if_contains("message"); m && m->is_string())
        return std::string(m->as_string());
    }
  }
  return "Microsoft Graph answered " + std::to_string(res.status);
}

}  // namespace

Result<std::optional<std::string>> GraphClient::UserId(const std::string& tenant,
                                                       const std::string& user_principal_name) {
  PC_ASSIGN_OR_RETURN(HttpResponse res,
                      Send(tenant, "GET", "/v1.0/users/" + user_principal_name, ""));
  if (res.status == 404) return std::optional<std::string>{};
  if (res.status != 200) return Unavailable(GraphMessage(res));
  auto body = ParseJson(res.body);
  const auto* id = body.ok() && body->is_object() ? body->as_object().if_contains("id") : nullptr;
  if (!id || !id->is_string()) return Unavailable("Microsoft Graph answered without an id");
  return std::optional<std::string>(std::string(id->as_string()));
}

Result<std::string> GraphClient::CreateUser(const std::string& tenant,
                                            const NewDirectoryUser& user) {
  json::object body{{"accountEnabled", true},
                    {"displayName", user.display_name},
                    {"mailNickname", user.mail_nickname},
                    {"userPrincipalName", user.user_principal_name},
                    {"passwordProfile", json::object{{"forceChangePasswordNextSignIn", true},
                                                     {"password", user.password}}}};
  if (!user.given_name.empty()) body["givenName"] = user.given_name;
  if (!user.surname.empty()) body["surname"] = user.surname;
  PC_ASSIGN_OR_RETURN(HttpResponse res, Send(tenant, "POST", "/v1.0/users", json::serialize(body)));
  if (res.status == 201 || res.status == 200) {
    auto parsed = ParseJson(res.body);
    const auto* id =
        parsed.ok() && parsed->is_object() ? parsed->as_object().if_contains("id") : nullptr;
    if (!id || !id->is_string()) return Unavailable("Microsoft Graph answered without an id");
    return std::string(id->as_string());
  }
  std::string message = GraphMessage(res);
  if (res.status == 400 && message.find("already exists") != std::string::npos) {
    PC_ASSIGN_OR_RETURN(auto existing, UserId(tenant, user.user_principal_name));
    if (existing) return *existing;
    return Unavailable("Microsoft Graph says " + user.user_principal_name +
                       " exists but does not show it yet");
  }
  if (res.status == 400 || res.status == 403) return InvalidArgument(message);
  return Unavailable(message);
}

}  // namespace pc::connectors
