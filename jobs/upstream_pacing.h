// Upstream pacing per budget (issue 14): the client spends each request against the budget the
// upstream counts it in, as Microsoft publishes them:
// - Partner Center: 500 requests a minute per partner tenant on customers, orders and
//   subscriptions (paths under /v1/customers): one budget, "partner_center"; other Partner Center
//   paths are not paced.
// - Azure Resource Manager: writes (PUT, PATCH, POST, DELETE) per subscription, 1,200 an hour,
//   the bucket holding the hour's worth; writes outside a subscription (creating a subscription
//   alias) against the tenant's budget of the same size; reads per subscription (or tenant) at
//   their own rate. One onboarding touches its own subscription, so onboardings no longer wait
//   for each other's ARM calls.
// KeyedPacer keeps one token bucket per budget: in the database (jobs/shared_bucket.h), shared
// by every instance on it, or in this process alone.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "jobs/shared_bucket.h"
#include "store/store.h"

namespace pc::jobs {

// The ARM budget a request counts against: "arm:writes:<subscription id>" for PUT/PATCH/POST/
// DELETE, "arm:reads:<subscription id>" otherwise; outside a subscription the budget of the
// tenant the call acts in ("arm:writes:tenant:<tenant>", as Microsoft counts them per principal
// and tenant), or "arm:writes:tenant" when `tenant` is not known. Ids are taken in lower case,
// the subscription's from the path ".../subscriptions/{id}/...".
std::string ArmBudgetOf(std::string_view method, std::string_view url,
                        std::string_view tenant = {});
bool IsArmWrite(std::string_view method);
// Whether Partner Center counts the request against its per-tenant limit (a path with
// "/v1/customers").
bool IsPartnerCenterLimited(std::string_view url);

class KeyedPacer {
 public:
  // Each key's bucket: `per_minute` on average (at least 1), holding up to `burst`. `shared`:
  // the database the buckets are kept in (null: this process alone).
  KeyedPacer(store::Database* shared, double per_minute, double burst);
  // Blocks until `key`'s bucket gives a token.
  void Acquire(const std::string& key);

 private:
  struct Local {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  store::Database* shared_;
  double per_minute_, burst_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<SharedTokenBucket>> shared_buckets_;
  std::map<std::string, Local> local_;
};

}  // namespace pc::jobs
