#include "jobs/upstream_pacing.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <thread>

#include "jobs/deferral.h"

namespace pc::jobs {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool IsArmWrite(std::string_view method) {
  return method == "PUT" || method == "PATCH" || method == "POST" || method == "DELETE";
}

std::string ArmBudgetOf(std::string_view method, std::string_view url, std::string_view tenant) {
  std::string path = Lower(url.substr(0, url.find('?')));
  std::string scope = tenant.empty() ? "tenant" : "tenant:" + Lower(tenant);
  constexpr std::string_view kSubscriptions = "/subscriptions/";
  if (size_t at = path.find(kSubscriptions); at != std::string::npos) {
    size_t start = at + kSubscriptions.size();
    size_t end = std::min(path.find('/', start), path.size());
    if (end > start) scope = path.substr(start, end - start);
  }
  return std::string(IsArmWrite(method) ? "arm:writes:" : "arm:reads:") + scope;
}

bool IsPartnerCenterLimited(std::string_view url) {
  std::string path(url.substr(0, url.find('?')));
  return Lower(path).find("/v1/customers") != std::string::npos;
}

KeyedPacer::KeyedPacer(store::Database* shared, double per_minute, double burst)
    : shared_(shared), per_minute_(std::max(1.0, per_minute)), burst_(std::max(1.0, burst)) {}

void KeyedPacer::Acquire(const std::string& key) {
  if (shared_ != nullptr) {
    SharedTokenBucket* bucket;
    {
      std::lock_guard lock(mu_);
      auto& b = shared_buckets_[key];
      if (!b) {
        b = std::make_unique<SharedTokenBucket>(*shared_, key,
                                                static_cast<int64_t>(std::llround(per_minute_)),
                                                static_cast<int64_t>(std::llround(burst_)));
      }
      bucket = b.get();
    }
    bucket->Acquire();
    return;
  }
  for (;;) {
    std::chrono::microseconds wait{0};
    {
      std::lock_guard lock(mu_);
      auto now = std::chrono::steady_clock::now();
      auto [it, fresh] = local_.try_emplace(key, Local{burst_, now});
      Local& b = it->second;
      double elapsed_min = std::chrono::duration<double, std::ratio<60>>(now - b.last).count();
      b.tokens = std::min(burst_, b.tokens + elapsed_min * per_minute_);
      b.last = now;
      if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return;
      }
      wait = std::chrono::microseconds(static_cast<int64_t>((1.0 - b.tokens) * 60e6 / per_minute_) +
                                       1);
    }
    SleepOrDefer(wait, "waiting for the upstream's rate limit (" + key + ")");
  }
}

}  // namespace pc::jobs
