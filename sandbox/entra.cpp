// Entra ID under /login: the token endpoints /login/{tenant}/oauth2/token (v1) and
// /oauth2/v2.0/token (v2), the OpenID Connect discovery documents (v1 and v2), the signing keys
// (JWKS) and instance discovery. Access tokens are RS256 JWTs signed with the key the JWKS
// publishes, with an issuer on the origin the client called (https:// through the TLS front).
#include <boost/algorithm/string/predicate.hpp>

#include "core/random.h"
#include "core/uuid.h"
#include "sandbox/jwt.h"
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
  Timestamp now = state.Now();
  Timestamp expires = now + std::chrono::seconds(kLifetimeSeconds);
  int64_t now_s = ToUnixSeconds(now);
  // As Entra's v1 access tokens for ARM and Graph (both endpoints issue them for resources that
  // accept v1): app-only, for the sandbox application in `tenant`.
  std::string issuer = BaseUrl(ctx.request) + "/login/" + tenant + "/";
  std::string access = Rs256Signer::Instance().Sign(json::object{{"aud", audience},
                                                                 {"iss", issuer},
                                                                 {"iat", now_s},
                                                                 {"nbf", now_s},
                                                                 {"exp", now_s + kLifetimeSeconds},
                                                                 {"appid", kClientId},
                                                                 {"appidacr", "1"},
                                                                 {"idp", issuer},
                                                                 {"idtyp", "app"},
                                                                 {"sub", kClientId},
                                                                 {"tid", tenant},
                                                                 {"uti", RandomToken(12)},
                                                                 {"ver", "1.0"}});
  state.tokens.Put(access, {tenant, audience, expires}, expires, 1, now);
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

namespace {

// Tenants as Entra names them in a path: an id, a domain, or common / organizations /
// consumers. Writes the tenant id (or the literal "{tenantid}" for the multi-tenant names).
std::optional<http::Response> ResolveTenant(State& state, const std::string& name,
                                            std::string& tenant_id) {
  if (boost::iequals(name, "common") || boost::iequals(name, "organizations") ||
      boost::iequals(name, "consumers")) {
    tenant_id = "{tenantid}";
    return std::nullopt;
  }
  std::lock_guard lock(state.mu);
  tenant_id = state.TenantIdFor(name);
  if (tenant_id.empty()) {
    return EntraError(http::Status::bad_request, "invalid_tenant", 90002,
                      "Tenant '" + name +
                          "' not found. Check to make sure you have the correct tenant ID and "
                          "are signing into the correct cloud.");
  }
  return std::nullopt;
}

// GET /{tenant}/v2.0/.well-known/openid-configuration and /{tenant}/.well-known/...: the
// fields Entra publishes, with every endpoint on this sandbox's origin.
http::Response OpenIdConfiguration(State& state, http::RequestContext& ctx, bool v2) {
  std::string tenant;
  if (auto err = ResolveTenant(state, ctx.params["tenant"], tenant)) return std::move(*err);
  std::string base = BaseUrl(ctx.request) + "/login/";
  std::string t = base + tenant;                                // with the resolved id
  std::string path = base + std::string(ctx.params["tenant"]);  // as the client named it
  std::string v = v2 ? "/v2.0" : "";
  json::object doc{
      {"token_endpoint", path + "/oauth2" + v + "/token"},
      {"token_endpoint_auth_methods_supported",
       json::array{"client_secret_post", "private_key_jwt", "client_secret_basic"}},
      {"jwks_uri", path + "/discovery" + v + "/keys"},
      {"response_modes_supported", json::array{"query", "fragment", "form_post"}},
      {"subject_types_supported", json::array{"pairwise"}},
      {"id_token_signing_alg_values_supported", json::array{"RS256"}},
      {"response_types_supported",
       json::array{"code", "id_token", "code id_token", "id_token token"}},
      {"scopes_supported", json::array{"openid", "profile", "email", "offline_access"}},
      {"issuer", v2 ? t + "/v2.0" : t + "/"},
      {"request_uri_parameter_supported", false},
      {"userinfo_endpoint", BaseUrl(ctx.request) + "/graph/oidc/userinfo"},
      {"authorization_endpoint", path + "/oauth2" + v + "/authorize"},
      {"device_authorization_endpoint", path + "/oauth2" + v + "/devicecode"},
      {"http_logout_supported", true},
      {"frontchannel_logout_supported", true},
      {"end_session_endpoint", path + "/oauth2" + v + "/logout"},
      {"claims_supported", json::array{"sub", "iss", "aud", "exp", "iat", "auth_time", "acr",
                                       "nonce", "tid", "ver", "appid", "oid"}},
      {"kerberos_endpoint", path + "/kerberos"},
      {"tenant_region_scope", "NA"},
      {"cloud_instance_name", "microsoftonline.com"},
      {"cloud_graph_host_name", "graph.windows.net"},
      {"msgraph_host", "graph.microsoft.com"},
      {"rbac_url", "https://pas.windows.net"}};
  return http::JsonResponse(http::Status::ok, doc);
}

}  // namespace

bool IsEntraRootPath(std::string_view path) {
  if (!path.starts_with('/')) return false;
  size_t slash = path.find('/', 1);
  if (slash == std::string_view::npos || slash == 1) return false;
  std::string_view rest = path.substr(slash);
  return rest.starts_with("/v2.0/.well-known/") || rest.starts_with("/.well-known/") ||
         rest.starts_with("/oauth2/") || rest.starts_with("/discovery/");
}

void AddEntraRoutes(http::Router& router, State& state) {
  router.Add(http::Verb::get, "/login/{tenant}/v2.0/.well-known/openid-configuration",
             [&state](http::RequestContext& ctx) { return OpenIdConfiguration(state, ctx, true); });
  router.Add(
      http::Verb::get, "/login/{tenant}/.well-known/openid-configuration",
      [&state](http::RequestContext& ctx) { return OpenIdConfiguration(state, ctx, false); });
  // The signing keys: one key set for every tenant and both versions, as Entra's.
  auto keys = [&state](http::RequestContext& ctx) {
    std::string tenant;
    if (auto err = ResolveTenant(state, ctx.params["tenant"], tenant)) return std::move(*err);
    bool v2 = ctx.path.find("/discovery/v2.0/") != std::string::npos;
    std::string issuer = BaseUrl(ctx.request) + "/login/" + tenant + (v2 ? "/v2.0" : "/");
    return http::JsonResponse(http::Status::ok, Rs256Signer::Instance().Jwks(issuer));
  };
  router.Add(http::Verb::get, "/login/{tenant}/discovery/v2.0/keys", keys);
  router.Add(http::Verb::get, "/login/{tenant}/discovery/keys", keys);
  // Instance discovery (what MSAL asks login.microsoftonline.com about an authority):
  // ?api-version=1.1&authorization_endpoint=https://HOST/login/{tenant}/oauth2/v2.0/authorize.
  router.Add(http::Verb::get, "/login/{tenant}/discovery/instance", [](http::RequestContext& ctx) {
    std::string endpoint = ctx.query["authorization_endpoint"];
    if (endpoint.empty()) {
      return EntraError(
          http::Status::bad_request, "invalid_request", 900144,
          "The request body must contain the following parameter: 'authorization_endpoint'.");
    }
    size_t scheme = endpoint.find("://");
    size_t host_end =
        scheme == std::string::npos ? std::string::npos : endpoint.find('/', scheme + 3);
    if (host_end == std::string::npos) {
      return EntraError(http::Status::bad_request, "invalid_instance", 50049,
                        "Unknown or invalid instance.");
    }
    std::string host = endpoint.substr(scheme + 3, host_end - scheme - 3);
    std::string tenant_path = endpoint.substr(host_end);
    size_t oauth = tenant_path.find("/oauth2/");
    if (oauth != std::string::npos) tenant_path.resize(oauth);
    std::string base = endpoint.substr(0, host_end) + tenant_path;
    return http::JsonResponse(
        http::Status::ok,
        json::object{{"tenant_discovery_endpoint", base + "/v2.0/.well-known/openid-configuration"},
                     {"api-version", "1.1"},
                     {"metadata", json::array{json::object{{"preferred_network", host},
                                                           {"preferred_cache", host},
                                                           {"aliases", json::array{host}}}}}});
  });
  router.Add(http::Verb::post, "/login/{tenant}/oauth2/token",
             [&state](http::RequestContext& ctx) { return Token(state, ctx, false); });
  router.Add(http::Verb::post, "/login/{tenant}/oauth2/v2.0/token",
             [&state](http::RequestContext& ctx) { return Token(state, ctx, true); });
}

}  // namespace pc::sandbox
