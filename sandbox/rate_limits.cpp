#include "sandbox/rate_limits.h"

#include <boost/algorithm/string/case_conv.hpp>
#include <cmath>

#include "core/json.h"
#include "sandbox/services.h"

namespace pc::sandbox {

namespace {

constexpr std::string_view kCustomers = "/partnercenter/v1/customers";
constexpr std::string_view kArmSubscriptions = "/arm/subscriptions/";

}  // namespace

int64_t RateLimits::Take(const std::string& key, double capacity, double per_second) {
  auto now = std::chrono::steady_clock::now();
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{capacity, now});
  Bucket& b = it->second;
  if (!fresh) {
    double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(capacity, b.tokens + elapsed * per_second);
    b.last = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1.0 - b.tokens) / per_second)));
}

std::optional<http::Response> RateLimits::Check(const http::RequestContext& ctx,
                                                const std::string& tenant) {
  const std::string& path = ctx.path;
  auto method = ctx.request.method();
  std::lock_guard lock(mu_);
  if (path.starts_with(kCustomers) &&
      (path.size() == kCustomers.size() || path[kCustomers.size()] == '/')) {
    if (partner_center_per_minute_ <= 0) return std::nullopt;
    double limit = static_cast<double>(partner_center_per_minute_);
    int64_t wait = Take("partner-center", limit, limit / 60.0);
    if (wait == 0) {
      ++partner_center_admitted_;
      return std::nullopt;
    }
    ++partner_center_429_;
    http::Response res = PartnerCenterThrottled(static_cast<int>(wait));
    res.set("Retry-After", std::to_string(wait));
    return res;
  }
  bool write = method == http::Verb::put || method == http::Verb::patch ||
               method == http::Verb::post || method == http::Verb::delete_;
  if (write && path.starts_with("/arm/")) {
    if (arm_writes_per_hour_ <= 0) return std::nullopt;
    std::string key = "arm-tenant:" + boost::to_lower_copy(tenant);
    if (path.starts_with(kArmSubscriptions)) {
      std::string_view rest = std::string_view(path).substr(kArmSubscriptions.size());
      key = "arm-subscription:" + boost::to_lower_copy(std::string(rest.substr(0, rest.find('/'))));
    }
    double limit = static_cast<double>(arm_writes_per_hour_);
    int64_t wait = Take(key, limit, limit / 3600.0);
    if (wait == 0) {
      ++arm_admitted_;
      return std::nullopt;
    }
    ++arm_429_;
    http::Response res = ArmError(
        http::Status::too_many_requests, "TooManyRequests",
        "The request is being throttled as the limit has been reached for operation type - "
        "Write. Retry after " +
            std::to_string(wait) + " seconds.");
    res.set("Retry-After", std::to_string(wait));
    res.set("x-ms-ratelimit-remaining-subscription-writes", "0");
    return res;
  }
  return std::nullopt;
}

json::object RateLimits::Snapshot() const {
  return {{"partnerCenterPerMinute", partner_center_per_minute_},
          {"armWritesPerHour", arm_writes_per_hour_},
          {"partnerCenterAdmitted", partner_center_admitted_},
          {"partnerCenter429", partner_center_429_},
          {"armWritesAdmitted", arm_admitted_},
          {"arm429", arm_429_}};
}

http::Response RateLimits::Control(const http::Request& req) {
  auto bad = [](std::string_view message) {
    return http::ErrorResponse(http::Status::bad_request, "InvalidArgument", message);
  };
  if (req.method() == http::Verb::get || req.method() == http::Verb::head) {
    std::lock_guard lock(mu_);
    return http::JsonResponse(http::Status::ok, Snapshot());
  }
  if (req.method() != http::Verb::post) {
    return http::ErrorResponse(http::Status::method_not_allowed, "MethodNotAllowed",
                               "Use GET or POST /sandbox/control/rate-limits");
  }
  auto body = ParseJsonObject(req.body().empty() ? std::string("{}") : req.body());
  if (!body.ok()) return bad(body.error().message);
  std::optional<int64_t> pc_limit, arm_limit;
  for (const auto& [name, value] : *body) {
    if (name != "partnerCenterPerMinute" && name != "armWritesPerHour") {
      return bad("Unknown field '" + std::string(name) +
                 "': give partnerCenterPerMinute and/or armWritesPerHour");
    }
    if (!value.is_int64() || value.as_int64() < 0 || value.as_int64() > 10000000) {
      return bad("Field '" + std::string(name) + "' must be a whole number from 0 (no limit)");
    }
    (name == "partnerCenterPerMinute" ? pc_limit : arm_limit) = value.as_int64();
  }
  std::lock_guard lock(mu_);
  if (pc_limit) partner_center_per_minute_ = *pc_limit;
  if (arm_limit) arm_writes_per_hour_ = *arm_limit;
  buckets_.clear();
  partner_center_429_ = arm_429_ = partner_center_admitted_ = arm_admitted_ = 0;
  return http::JsonResponse(http::Status::ok, Snapshot());
}

}  // namespace pc::sandbox
