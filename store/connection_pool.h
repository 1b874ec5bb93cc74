// The connection pool both store backends use: at most `max` connections, created on demand,
// idle ones reused, callers waiting while all are in use. Internal to store/. Thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <vector>

#include "core/result.h"

namespace pc::store::internal {

template <typename Connection>
class ConnectionPool {
 public:
  using ConnectFn = std::function<Result<Connection>()>;

  ConnectionPool(size_t max, ConnectFn connect) : max_(max), connect_(std::move(connect)) {}

  // An idle connection, a new one while under the limit, or waits for one to come back.
  // Errors: what connecting said (its slot is freed again).
  Result<Connection> Acquire() {
    {
      std::unique_lock lock(mu_);
      available_.wait(lock, [&] { return !idle_.empty() || open_ < max_; });
      if (!idle_.empty()) {
        Connection conn = std::move(idle_.back());
        idle_.pop_back();
        return conn;
      }
      ++open_;
    }
    auto conn = connect_();
    if (!conn.ok()) Forget();
    return conn;
  }

  // Takes a connection back: kept for the next caller when `reusable`, else closed (after the
  // lock is released) and its slot freed.
  void Release(Connection conn, bool reusable) {
    {
      std::lock_guard lock(mu_);
      if (reusable) {
        idle_.push_back(std::move(conn));
      } else {
        --open_;
      }
    }
    available_.notify_one();
  }

 private:
  void Forget() {
    {
      std::lock_guard lock(mu_);
      --open_;
    }
    available_.notify_one();
  }

  const size_t max_;
  const ConnectFn connect_;
  std::mutex mu_;
  std::condition_variable available_;
  std::vector<Connection> idle_;
  size_t open_ = 0;  // connections created and not closed: idle or in use
};

}  // namespace pc::store::internal
