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
