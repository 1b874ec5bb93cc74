// Upstream rate limits, enforced by the sandbox as Microsoft enforces them, so that a client
// that does not pace itself is answered 429 with Retry-After:
// - Partner Center: 500 requests per minute per partner tenant on customers, orders and
//   subscriptions (every path under /partnercenter/v1/customers). The sandbox emulates one
//   partner tenant, so there is one such budget.
// - Azure Resource Manager: writes (PUT, PATCH, POST, DELETE) per subscription, 1,200 an hour
//   (the x-ms-ratelimit-remaining-subscription-writes budget); writes outside a subscription
//   (e.g. creating a subscription alias) count against their tenant's budget of the same size
//   (the tenant of the bearer token: per principal and tenant, as Microsoft counts them).
// Each budget is a token bucket holding a minute's (an hour's) worth, refilled continuously.
// Configured and observed with /sandbox/control/rate-limits: GET answers the limits and how
// many requests each limit answered 429; POST {"partnerCenterPerMinute": N,
// "armWritesPerHour": N} changes them (0 turns a limit off) and clears the counts.
// Thread-safe (a mutex of its own; never takes State::mu).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/http/message.h"

namespace pc::sandbox {

class RateLimits {
 public:
  // The limit a request falls under, if any is exhausted: the 429 to answer (in the service's
  // error format, with Retry-After). Otherwise nullopt, and the request is counted.
  // `tenant`: the tenant of the request's bearer token ("" when none), whose budget ARM writes
  // outside a subscription spend.
  std::optional<http::Response> Check(const http::RequestContext& ctx, const std::string& tenant);
  // GET/POST /sandbox/control/rate-limits.
  http::Response Control(const http::Request& req);

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point last;
  };
  // Takes a token from `key`'s bucket of `capacity` refilled at `per_second`; 0 when taken, else
  // the seconds until one is there.
  int64_t Take(const std::string& key, double capacity, double per_second);
  json::object Snapshot() const;

  mutable std::mutex mu_;
  int64_t partner_center_per_minute_ = 500;
  int64_t arm_writes_per_hour_ = 1200;
  std::map<std::string, Bucket> buckets_;
  int64_t partner_center_429_ = 0, arm_429_ = 0, partner_center_admitted_ = 0, arm_admitted_ = 0;
};

}  // namespace pc::sandbox
