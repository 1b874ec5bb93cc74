#include "connectors/clc_client.h"

namespace pc::connectors {

namespace {

std::string Str(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : "";
}

ClcAccount AccountFromJson(const json::object& o) {
  return {Str(o, "accountAlias"), Str(o, "parentAlias"), Str(o, "businessName"),
          Str(o, "addressLine1"), Str(o, "city"),        Str(o, "stateProvince"),
          Str(o, "postalCode"),   Str(o, "country"),     Str(o, "status"),
          Str(o, "accountType")};
}

// CLC's error message from a body like {"message":"..."}; a fallback when absent.
std::string ClcMessage(const std::string& body, long status) {
  auto v = ParseJson(body);
  if (v.ok() && v->is_object()) {
    std::string m = Str(v->as_object(), "message");
    if (!m.empty()) return m;
  }
  return "CenturyLink Cloud answered HTTP " + std::to_string(status);
}

}  // namespace

ClcClient::ClcClient(HttpClient& http, std::string base_url)
    : http_(http), base_url_(std::move(base_url)) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

Result<json::value> ClcClient::Call(const std::string& method, const std::string& path,
                                    const std::string& token, const std::string& body) {
  HttpRequest req;
  req.method = method;
  req.url = base_url_ + path;
  req.headers = {{"Accept", "application/json"}, {"Content-Type", "application/json"}};
  if (!token.empty()) req.headers.emplace_back("Authorization", "Bearer " + token);
  req.body = body;
  req.timeout = std::chrono::seconds(30);
  PC_ASSIGN_OR_RETURN(HttpResponse res, http_.Send(req));
  if (res.status >= 200 && res.status < 300) {
    auto parsed = ParseJson(res.body);
    if (!parsed.ok()) return Unavailable("CenturyLink Cloud sent a response that is not JSON");
    return parsed;
  }
  std::string message = ClcMessage(res.body, res.status);
  switch (res.status) {
    case 400:
      return InvalidArgument(message);
    case 401:
      return Unauthenticated(message);
    case 403:
      return PermissionDenied(message);
    case 404:
      return NotFound(message);
    case 409:
      return Conflict(message);
    default:
      return Unavailable("CenturyLink Cloud: " + message);
  }
}

Result<ClcLogin> ClcClient::Login(const std::string& username, const std::string& password) {
  json::object body{{"username", username}, {"password", password}};
  auto v = Call("POST", "/v2/authentication/login", "", json::serialize(body));
  if (!v.ok()) {
    // CLC answers bad credentials with 400 and its own message.
    if (v.error().code == ErrorCode::kInvalidArgument) return Unauthenticated(v.error().message);
    return v.error();
  }
  if (!v->is_object()) return Unavailable("CenturyLink Cloud login answered an unexpected body");
  const auto& o = v->as_object();
  ClcLogin login{Str(o, "userName"),
                 Str(o, "accountAlias"),
                 Str(o, "locationAlias"),
                 {},
                 Str(o, "bearerToken")};
  if (auto it = o.find("roles"); it != o.end() && it->value().is_array()) {
    for (const auto& r : it->value().as_array()) {
      if (r.is_string()) login.roles.emplace_back(r.as_string());
    }
  }
  if (login.bearer_token.empty() || login.account_alias.empty()) {
    return Unavailable("CenturyLink Cloud login answered without a token or account alias");
  }
  return login;
}

Result<ClcAccount> ClcClient::GetAccount(const std::string& token, const std::string& alias) {
  PC_ASSIGN_OR_RETURN(json::value v, Call("GET", "/v2/accounts/" + alias, token, ""));
  if (!v.is_object()) return Unavailable("CenturyLink Cloud answered an unexpected account body");
  return AccountFromJson(v.as_object());
}

Result<std::vector<ClcAccount>> ClcClient::ListSubAccounts(const std::string& token,
                                                           const std::string& alias) {
  PC_ASSIGN_OR_RETURN(json::value v,
                      Call("GET", "/v2/accounts/" + alias + "/subAccounts", token, ""));
  if (!v.is_array())
    return Unavailable("CenturyLink Cloud answered an unexpected sub-account list");
  std::vector<ClcAccount> out;
  for (const auto& a : v.as_array()) {
    if (a.is_object()) out.push_back(AccountFromJson(a.as_object()));
  }
  return out;
}

Status ClcClient::PostInvoiceLine(const std::string& token, const std::string& alias,
                                  const json::object& line) {
  PC_ASSIGN_OR_RETURN(
      json::value v, Call("POST", "/v2/invoice/" + alias + "/lines", token, json::serialize(line)));
  (void)v;
  return {};
}

}  // namespace pc::connectors
