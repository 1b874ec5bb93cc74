// Entra ID token endpoint: /login/{tenant}/oauth2/token (v1) and /oauth2/v2.0/token (v2).
#include <boost/algorithm/string/predicate.hpp>

#include "core/random.h"
#include "core/uuid.h"
#include "sandbox/services.h"

namespace pc::sandbox {

namespace {

constexpr int64_t kLifetimeSeconds = 3600;
// Entra refresh tokens live 90 days (inactivity); the sandbox uses that as their expiry.
constexpr std::chrono::hours kRefreshLifetime{90 * 24};

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && Hex(s[i + 1]) >= 0 && Hex(s[i + 2]) >= 0) {
      out += static_cast<char>(Hex(s[i + 1]) * 16 + Hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

http::Response Token(State& state, http::RequestContext& ctx, bool v2) {
  auto form = ParseForm(ctx.request.body());
  std::lock_guard lock(state.mu);
  std::string tenant = state.TenantIdFor(ctx.params["tenant"]);
  if (tenant.empty()) {
    return EntraError(http::Status::bad_request, "invalid_request", 90002,
                      "Tenant '" + ctx.params["tenant"] +
                          "' not found. Check to make sure you have the correct tenant ID and "
                          "are signing into the correct cloud.");
  }
  std::string grant = form["grant_type"];
  if (grant.empty()) {
    return EntraError(http::Status::bad_request, "invalid_request", 900144,
                      "The request body must contain the following parameter: 'grant_type'.");
  }
  if (grant != "client_credentials" && grant != "refresh_token") {
    return EntraError(http::Status::bad_request, "unsupported_grant_type", 70003,
                      "The app requested an unsupported grant type '" + grant + "'.");
  }
  if (form["client_id"].empty()) {
    return EntraError(http::Status::bad_request, "invalid_request", 900144,
                      "The request body must contain the following parameter: 'client_id'.");
  }
  if (!boost::iequals(form["client_id"], kClientId)) {
    return EntraError(http::Status::bad_request, "unauthorized_client", 700016,
                      "Application with identifier '" + form["client_id"] +
                          "' was not found in the directory '" + tenant + "'.");
  }
  if (form["client_secret"] != kClientSecret) {
    return EntraError(http::Status::unauthorized, "invalid_client", 7000215,
                      "Invalid client secret provided. Ensure the secret being sent in the "
                      "request is the client secret value, not the client secret ID, for a "
                      "secret added to app '" +
                          std::string(kClientId) + "'.");
  }
  std::string audience;
  if (v2) {
    std::string scope = form["scope"];
    if (scope.empty()) {
      return EntraError(http::Status::bad_request, "invalid_request", 900144,
                        "The request body must contain the following parameter: 'scope'.");
    }
    audience = scope.substr(0, scope.find(' '));
    for (std::string_view suffix : {"/.default", "/user_impersonation"}) {
      if (audience.ends_with(suffix)) audience.resize(audience.size() - suffix.size());
    }
  } else {
    audience = form["resource"].empty() ? "https://graph.windows.net" : form["resource"];
  }
  bool refresh = grant == "refresh_token";
  if (refresh) {
    if (!state.refresh_tokens.Find(form["refresh_token"], state.Now())) {
      return EntraError(http::Status::bad_request, "invalid_grant", 9002313,
                        "Invalid request. Request is malformed or invalid.");
    }
  }
  std::string access = "sbx-at." + RandomToken(24);
  Timestamp now = state.Now();
  Timestamp expires = now + std::chrono::seconds(kLifetimeSeconds);
  state.tokens.Put(access, {tenant, audience, expires}, expires, 1, now);
  int64_t now_s = ToUnixSeconds(now);
  json::object out;
  out["token_type"] = "Bearer";
  if (v2) {
    out["expires_in"] = kLifetimeSeconds;
    out["ext_expires_in"] = kLifetimeSeconds;
  } else {
    out["expires_in"] = std::to_string(kLifetimeSeconds);
    out["ext_expires_in"] = std::to_string(kLifetimeSeconds);
    out["expires_on"] = std::to_string(now_s + kLifetimeSeconds);
    out["not_before"] = std::to_string(now_s);
    out["resource"] = audience;
  }
  if (refresh) {
    out["scope"] = "user_impersonation";
    std::string next = "sbx-rt." + RandomToken(24);
    state.refresh_tokens.Put(next, tenant, now + kRefreshLifetime, 1, now);
    out["refresh_token"] = next;
  }
  out["access_token"] = access;
  return http::JsonResponse(http::Status::ok, out);
}

}  // namespace

std::map<std::string, std::string> ParseForm(std::string_view body) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  while (i <= body.size()) {
    size_t j = body.find('&', i);
    if (j == std::string_view::npos) j = body.size();
    std::string_view pair = body.substr(i, j - i);
    size_t eq = pair.find('=');
    if (!pair.empty()) {
      out[Decode(pair.substr(0, eq))] =
          eq == std::string_view::npos ? "" : Decode(pair.substr(eq + 1));
    }
    i = j + 1;
  }
  return out;
}

http::Response EntraError(http::Status status, std::string_view error, int aadsts,
                          std::string_view description) {
  std::string trace = Uuid::V4().ToString(), correlation = Uuid::V4().ToString();
  std::string timestamp = FormatTimestamp(Now()).substr(0, 19);
  timestamp[10] = ' ';
  json::object o;
  o["error"] = error;
  o["error_description"] = "AADSTS" + std::to_string(aadsts) + ": " + std::string(description) +
                           "\r\nTrace ID: " + trace + "\r\nCorrelation ID: " + correlation +
                           "\r\nTimestamp: " + timestamp + "Z";
  o["error_codes"] = json::array{aadsts};
  o["timestamp"] = timestamp + "Z";
  o["trace_id"] = trace;
  o["correlation_id"] = correlation;
  return http::JsonResponse(status, o);
}

void AddEntraRoutes(http::Router& router, State& state) {
  router.Add(http::Verb::post, "/login/{tenant}/oauth2/token",
             [&state](http::RequestContext& ctx) { return Token(state, ctx, false); });
  router.Add(http::Verb::post, "/login/{tenant}/oauth2/v2.0/token",
             [&state](http::RequestContext& ctx) { return Token(state, ctx, true); });
}

}  // namespace pc::sandbox
