// Entra ID (Azure AD) app-only tokens: client credentials on the v2 endpoint, one token per
// (tenant, audience), cached and refreshed five minutes before it expires. The client secret is
// never logged. Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "connectors/http_client.h"
#include "core/result.h"

namespace pc::connectors {

struct EntraOptions {
  std::string base_url;  // "https://login.microsoftonline.com" or "<sandbox>/login"
  std::string client_id;
  std::string client_secret;
};

// Audiences the service uses.
inline constexpr std::string_view kPartnerCenterAudience =
    "https://api.partnercenter.microsoft.com";
inline constexpr std::string_view kArmAudience = "https://management.azure.com";
inline constexpr std::string_view kGraphAudience = "https://graph.microsoft.com";

class TokenProvider {
 public:
  TokenProvider(HttpClient& http, EntraOptions options);

  // A bearer token for `audience` in `tenant` (a tenant id or domain). Errors: Unauthenticated
  // with Entra's error description (e.g. invalid_client for a wrong secret), Unavailable when
  // Entra cannot be reached.
  Result<std::string> Token(const std::string& tenant, std::string_view audience);
  // Forgets a cached token (after the upstream answered 401 with it).
  void Invalidate(const std::string& tenant, std::string_view audience);
  // A provider for another application (e.g. a customer's own) on the same Entra endpoint,
  // with its own empty cache. The secret stays in memory only.
  std::unique_ptr<TokenProvider> ForApplication(std::string client_id,
                                                std::string client_secret) const;

 private:
  struct Cached {
    std::string token;
    std::chrono::steady_clock::time_point refresh_at;
  };
  HttpClient& http_;
  EntraOptions options_;
  std::mutex mu_;
  std::map<std::string, Cached> cache_;
};

}  // namespace pc::connectors
