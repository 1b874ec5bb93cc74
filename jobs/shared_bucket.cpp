#include "jobs/shared_bucket.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "core/time.h"
#include "jobs/deferral.h"

namespace pc::jobs {

namespace {
constexpr int64_t kOne = 1000000;  // one request, in millionths
}

SharedTokenBucket::SharedTokenBucket(store::Database& db, std::string name, int64_t per_minute,
                                     int64_t burst)
    : db_(db),
      name_(std::move(name)),
      per_minute_(std::max<int64_t>(1, per_minute)),
      capacity_(std::max<int64_t>(1, burst) * kOne) {}

Result<std::chrono::microseconds> SharedTokenBucket::TryAcquire() {
  return db_.InTransaction<std::chrono::microseconds>(
      [&](store::Transaction& tx) -> Result<std::chrono::microseconds> {
        int64_t now = Now().time_since_epoch().count();
        PC_ASSIGN_OR_RETURN(
            auto rows,
            tx.Query("SELECT tokens, updated_us FROM upstream_rate_buckets WHERE name = ?",
                     {name_}));
        if (rows.empty()) {
          PC_ASSIGN_OR_RETURN(int64_t n, tx.Execute("INSERT INTO upstream_rate_buckets (name, "
                                                    "tokens, updated_us) VALUES (?, ?, ?) ON "
                                                    "CONFLICT (name) DO NOTHING",
                                                    {name_, capacity_ - kOne, now}));
          if (n == 1) return std::chrono::microseconds(0);
          return std::chrono::microseconds(1);  // another instance created it: read it again
        }
        int64_t tokens = rows[0].Int("tokens");
        int64_t updated = rows[0].Int("updated_us");
        // Up to an hour's refill (more would fill any bucket; this also keeps it in range).
        int64_t elapsed = std::clamp<int64_t>(now - updated, 0, int64_t{3600} * kOne);
        int64_t refilled = std::min(capacity_, tokens + elapsed * per_minute_ / 60);
        int64_t stamp = std::max(now, updated);
        if (refilled < kOne) {
          // Not enough yet: wait for the missing part (nothing is written).
          return std::chrono::microseconds((kOne - refilled) * 60 / per_minute_ + 1);
        }
        PC_ASSIGN_OR_RETURN(int64_t n,
                            tx.Execute("UPDATE upstream_rate_buckets SET tokens = ?, updated_us = "
                                       "? WHERE name = ? AND tokens = ? AND updated_us = ?",
                                       {refilled - kOne, stamp, name_, tokens, updated}));
        if (n == 1) return std::chrono::microseconds(0);
        return std::chrono::microseconds(1);  // changed meanwhile: read it again
      });
}

void SharedTokenBucket::Acquire() {
  for (int failures = 0;;) {
    auto wait = TryAcquire();
    if (!wait.ok()) {
      if (++failures == 1) {
        spdlog::warn("rate limit '{}' shared through the database: {}; pacing this process alone",
                     name_, wait.error().message);
      }
      std::this_thread::sleep_for(std::chrono::microseconds(60 * kOne / per_minute_));
      return;
    }
    if (wait->count() == 0) return;
    if (wait->count() > 1) {
      SleepOrDefer(*wait, "waiting for the upstream's rate limit (" + name_ + ", shared)");
    }
  }
}

}  // namespace pc::jobs
