// HS256 JSON Web Tokens (RFC 7519) as CenturyLink Cloud API v2 issues them.
#pragma once

#include <string>
#include <string_view>

#include "core/json.h"
#include "core/result.h"

namespace pc::sandbox {

// header {"typ":"JWT","alg":"HS256"} . claims . HMAC-SHA-256(key) — base64url, no padding.
std::string SignHs256(const json::object& claims, std::string_view key);
// The claims of a token signed with `key`. Errors: malformed, bad signature.
Result<json::object> VerifyHs256(std::string_view token, std::string_view key);

}  // namespace pc::sandbox

namespace pc::sandbox {

// RS256 JSON Web Tokens as Entra ID issues its access tokens: an RSA 2048 key generated once per
// process (on first use), published as a JSON Web Key Set. Thread-safe.
class Rs256Signer {
 public:
  static const Rs256Signer& Instance();
  // header {"typ":"JWT","alg":"RS256","kid":kid(),"x5t":kid()} . claims . RSASSA-PKCS1-v1_5.
  std::string Sign(const json::object& claims) const;
  // {"keys":[{"kty":"RSA","use":"sig","kid":..,"x5t":..,"n":..,"e":..,"issuer":..}]}.
  json::object Jwks(const std::string& issuer) const;
  // The claims of a token this signer signed. Errors: malformed, bad signature.
  Result<json::object> Verify(std::string_view token) const;
  const std::string& kid() const { return kid_; }
  ~Rs256Signer();

 private:
  Rs256Signer();
  void* key_ = nullptr;  // EVP_PKEY
  std::string kid_, n_, e_;
};

}  // namespace pc::sandbox
