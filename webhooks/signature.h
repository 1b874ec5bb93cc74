// Standard Webhooks signatures (https://www.standardwebhooks.com): a per-endpoint secret
// "whsec_<base64 of 32 random bytes>", and the webhook-signature header "v1,<base64 of
// HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>")>" where the key is the
// base64-decoded part of the secret after "whsec_".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace pc::webhooks {

// A new random secret, "whsec_..." (libsodium's CSPRNG; InitCrypto first).
std::string NewSecret();
// The webhook-signature header value for one attempt. Errors: InvalidArgument for a secret that
// is not "whsec_" + base64.
Result<std::string> Sign(std::string_view secret, std::string_view message_id, int64_t unix_seconds,
                         std::string_view body);

}  // namespace pc::webhooks
