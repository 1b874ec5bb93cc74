// One delivery attempt to a webhook endpoint, with the guards against server-side request
// forgery: https only (http only to loopback when allow_http_loopback), every address the
// connection is opened to checked against webhooks/address_guard.h at the moment of connecting
// (so a name that resolves to a private address, at once or later, is refused), no proxy, no
// redirects followed (a 3xx is a failed attempt), a bounded answer and a bounded total time.
// Thread-safe: nothing shared between calls.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "webhooks/address_guard.h"

namespace pc::webhooks {

struct TargetPolicy {
  // http:// targets allowed, only to loopback addresses, which are then allowed (the demo).
  bool allow_http_loopback = false;
  // Blocks allowed although private, loopback, ... (webhooks.allow_networks).
  std::vector<Network> allowed;
  std::chrono::milliseconds timeout{10000};  // the whole attempt
  size_t max_response_bytes = 65536;         // read of the answer; the rest is not read
};

// Checks a URL an endpoint is created with: absolute http(s) with a host, no user name or
// password, https unless allow_http_loopback; a literal IP address host refused as a delivery
// would be. (Names are checked at each delivery, where they resolve.) Errors: InvalidArgument
// with a message for the person who typed the URL.
Status CheckTargetUrl(std::string_view url, const TargetPolicy& policy);

struct Attempt {
  long status = 0;  // the HTTP status; 0 when no answer was received
  int64_t latency_ms = 0;
  std::string error;  // why it failed ("" for a 2xx)
  bool ok() const { return status >= 200 && status < 300; }
};

// POSTs `body` (application/json) with `headers` to `url` under `policy`.
Attempt Post(const std::string& url,
             const std::vector<std::pair<std::string, std::string>>& headers,
             const std::string& body, const TargetPolicy& policy);

}  // namespace pc::webhooks
