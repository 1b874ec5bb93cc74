// HttpClient: the one HTTP client every upstream connector is built on (libcurl).
//
// - Connection reuse: a pool of curl handles per client, each keeping its connections alive.
// - Timeouts: connect and total, per request.
// - Retries: 429, 500, 502, 503, 504, timeouts and connection failures are retried with
//   jittered exponential backoff; a Retry-After header (seconds or HTTP date) is honoured as the
//   minimum wait. Other statuses are returned to the caller as they are.
// - Rate limit: a token bucket per client (one client per upstream, shared by every worker of
//   the process) so that many workers together stay under the upstream's limit.
// - Logs: one structured line per attempt (upstream, method, URL without query, status, attempt,
//   duration, wait); never headers or bodies, so tokens and secrets stay out of the logs.
// Thread-safe: one HttpClient is shared by all threads.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace pc::connectors {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Total time for one attempt (connect, send, wait, receive).
  std::chrono::milliseconds timeout{30000};
  // For pacing (HttpClientOptions::acquire_for): the tenant an Azure Resource Manager call acts
  // in, whose tenant-wide budget a call outside a subscription spends; "" when not known.
  std::string tenant;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names; last value wins
  std::string body;
  // The named header, or "" (name in lower case).
  std::string Header(const std::string& name) const;
};

struct RetryPolicy {
  int max_attempts = 6;
  std::chrono::milliseconds base_delay{200};
  std::chrono::milliseconds max_delay{30000};
  // The longest Retry-After the client will wait; a longer one ends the retries.
  std::chrono::milliseconds max_retry_after{120000};
};

// A token bucket: `per_minute` requests per minute on average, bursts up to `burst`.
class TokenBucket {
 public:
  TokenBucket(double per_minute, double burst);
  // Blocks until a token is available.
  void Acquire();

 private:
  std::mutex mu_;
  double rate_per_ms_;
  double burst_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
};

struct HttpClientOptions {
  std::string upstream = "upstream";  // name in logs: "partner_center", "arm", ...
  RetryPolicy retry;
  double requests_per_minute = 0;  // 0: no client-side limit
  double burst = 50;
  // When set, called before each attempt instead of this client's own token bucket: a pace
  // shared with other processes (jobs/shared_bucket.h). Blocks until the attempt may go.
  std::function<void()> acquire;
  // When set, called before each attempt with the request, instead of `acquire` and this
  // client's own bucket: a pace chosen per request (ARM counts writes per subscription).
  std::function<void(const HttpRequest&)> acquire_for;
  // If not zero, no attempt waits longer than this for an answer (upstream.timeout_seconds).
  std::chrono::milliseconds max_timeout{0};
  // The largest response body kept, as decoded (a gzip answer counts by what it expands to):
  // past it the transfer stops and Send fails with PayloadTooLarge (not retried).
  size_t max_response_bytes = size_t{64} << 20;
  // Called before each wait between attempts (tests use it to observe the waits).
  std::function<void(std::chrono::milliseconds)> on_wait;
};

// Why a request finally failed: the last response (if any) and a message.
class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();

  // Sends the request, retrying as described above. Returns the final response for any HTTP
  // status (including 4xx and, after the last attempt, 429/5xx). Errors (Unavailable) only when
  // no response was received at all (timeouts, refused connections), naming the upstream.
  Result<HttpResponse> Send(const HttpRequest& request);

  // One attempt, no retry, no rate limit.
  Result<HttpResponse> SendOnce(const HttpRequest& request);

  // True for statuses worth retrying.
  static bool IsRetryable(long status);
  // The wait a Retry-After header asks for (seconds or HTTP date); 0 if absent or invalid.
  static std::chrono::milliseconds RetryAfter(const std::string& value);

 private:
  struct Pool;
  HttpClientOptions options_;
  std::unique_ptr<TokenBucket> bucket_;
  std::unique_ptr<Pool> pool_;
};

// Form-encodes key/value pairs (application/x-www-form-urlencoded).
std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace pc::connectors
