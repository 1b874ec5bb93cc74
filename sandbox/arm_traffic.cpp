#include "sandbox/arm_traffic.h"

#include <boost/algorithm/string/case_conv.hpp>
#include <chrono>

#include "core/json.h"

namespace pc::sandbox {

namespace {
constexpr std::string_view kSubscriptions = "/arm/subscriptions/";
constexpr int64_t kKeptSeconds = 3600;
}  // namespace

void ArmTraffic::Count(const std::string& path) {
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  std::lock_guard lock(mu_);
  ++total_;
  ++per_second_[now];
  while (!per_second_.empty() && per_second_.begin()->first < now - kKeptSeconds) {
    per_second_.erase(per_second_.begin());
  }
  if (path.starts_with(kSubscriptions)) {
    std::string_view rest = std::string_view(path).substr(kSubscriptions.size());
    std::string sub = boost::to_lower_copy(std::string(rest.substr(0, rest.find('/'))));
    if (!sub.empty() && (by_subscription_.size() < 100000 || by_subscription_.contains(sub))) {
      ++by_subscription_[sub];
    }
  }
}

http::Response ArmTraffic::Control(const http::Request& req) {
  std::lock_guard lock(mu_);
  if (req.method() == http::Verb::post) {
    total_ = 0;
    by_subscription_.clear();
    per_second_.clear();
  } else if (req.method() != http::Verb::get && req.method() != http::Verb::head) {
    return http::ErrorResponse(http::Status::method_not_allowed, "MethodNotAllowed",
                               "Use GET (counts) or POST (clear) /sandbox/control/arm-traffic");
  }
  json::object subs;
  for (const auto& [sub, n] : by_subscription_) subs[sub] = n;
  json::array seconds;
  for (const auto& [second, n] : per_second_) {
    seconds.push_back(json::object{{"second", second}, {"count", n}});
  }
  return http::JsonResponse(http::Status::ok, json::object{{"total", total_},
                                                           {"bySubscription", std::move(subs)},
                                                           {"perSecond", std::move(seconds)}});
}

}  // namespace pc::sandbox
