// SharedTokenBucket: a token bucket kept in the database (table upstream_rate_buckets), so that
// every instance of the service on that database together stays under an upstream's rate limit
// (Partner Center's 500 requests a minute belong to the partner tenant, not to one process).
// Each Acquire is one short write transaction with optimistic concurrency (the row is changed
// only if nobody changed it since it was read; otherwise read again), which works the same on
// SQLite and PostgreSQL. Instances on different machines need synchronized clocks (NTP): the
// refill is computed from the database row's last-change time and this machine's clock.
// If the database cannot be reached, Acquire paces this process alone at the full rate (and
// logs it), so that a database hiccup never stops upstream calls.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/result.h"
#include "store/store.h"

namespace pc::jobs {

class SharedTokenBucket {
 public:
  // `per_minute` requests a minute on average, bursts up to `burst` (both at least 1).
  SharedTokenBucket(store::Database& db, std::string name, int64_t per_minute, int64_t burst);

  // Blocks until a token is taken.
  void Acquire();
  // One attempt: 0 when a token was taken, else how long to wait before trying again.
  Result<std::chrono::microseconds> TryAcquire();

 private:
  store::Database& db_;
  std::string name_;
  int64_t per_minute_;
  int64_t capacity_;  // millionths
};

}  // namespace pc::jobs
