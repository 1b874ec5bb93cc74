#include "connectors/entra_client.h"

#include "core/json.h"

namespace pc::connectors {

TokenProvider::TokenProvider(HttpClient& http, EntraOptions options)
    : http_(http), options_(std::move(options)) {
  while (!options_.base_url.empty() && options_.base_url.back() == '/') {
    options_.base_url.pop_back();
  }
}

std::unique_ptr<TokenProvider> TokenProvider::ForApplication(std::string client_id,
                                                             std::string client_secret) const {
  return std::make_unique<TokenProvider>(
      http_, EntraOptions{options_.base_url, std::move(client_id), std::move(client_secret)});
}

void TokenProvider::Invalidate(const std::string& tenant, std::string_view audience) {
  std::lock_guard lock(mu_);
  cache_.erase(tenant + " " + std::string(audience));
}

Result<std::string> TokenProvider::Token(const std::string& tenant, std::string_view audience) {
  std::string key = tenant + " " + std::string(audience);
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.refresh_at > now) return it->second.token;
  }
  HttpRequest req;
  req.method = "POST";
  req.url = options_.base_url + "/" + tenant + "/oauth2/v2.0/token";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Accept", "application/json"}};
  req.body = FormEncode({{"grant_type", "client_credentials"},
                         {"client_id", options_.client_id},
                         {"client_secret", options_.client_secret},
                         {"scope", std::string(audience) + "/.default"}});
  req.timeout = std::chrono::seconds(30);
  PC_ASSIGN_OR_RETURN(HttpResponse res, http_.Send(req));
  auto body = ParseJson(res.body);
  if (res.status != 200) {
    std::string detail = "HTTP " + std::to_string(res.status);
    if (body.ok() && body->is_object()) {
      const auto& o = body->as_object();
      if (auto e = o.find("error"); e != o.end() && e->value().is_string()) {
        detail = std::string(e->value().as_string());
      }
      if (auto d = o.find("error_description"); d != o.end() && d->value().is_string()) {
        std::string desc(d->value().as_string());
        detail += ": " + desc.substr(0, desc.find("\r\n"));
      }
    }
    if (res.status == 400 || res.status == 401) {
      return Unauthenticated("Entra ID refused a token for " + std::string(audience) + " in " +
                             tenant + ": " + detail);
    }
    return Unavailable("Entra ID token request failed: " + detail);
  }
  if (!body.ok() || !body->is_object())
    return Unavailable("Entra ID answered a body that is not JSON");
  const auto& o = body->as_object();
  auto token = o.find("access_token");
  if (token == o.end() || !token->value().is_string()) {
    return Unavailable("Entra ID answered without access_token");
  }
  int64_t expires_in = 3600;
  if (auto e = o.find("expires_in"); e != o.end()) {
    if (e->value().is_int64()) expires_in = e->value().as_int64();
    if (e->value().is_string()) {
      try {
        expires_in = std::stoll(std::string(e->value().as_string()));
      } catch (const std::exception&) {
      }
    }
  }
  auto refresh_at = now + std::chrono::seconds(std::max<int64_t>(expires_in - 300, expires_in / 2));
  std::string value(token->value().as_string());
  std::lock_guard lock(mu_);
  cache_[key] = {value, refresh_at};
  return value;
}

}  // namespace pc::connectors
