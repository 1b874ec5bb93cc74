// VersionedCache: values computed from database rows, kept in memory by key together with the
// version of the rows they were computed from (a value the database changes in the same
// transaction as the rows, such as a fresh UUID). A reader looks the version up in its own
// transaction and reuses the value only when the versions are equal, so a cached value is never
// older than what the reader's transaction sees, on any instance. Bounded: emptied when full.
// Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace pc {

template <class T>
class VersionedCache {
 public:
  explicit VersionedCache(size_t max_entries) : max_entries_(max_entries) {}

  // The value kept for `key` at exactly `version`, or null.
  std::shared_ptr<const T> Find(const std::string& key, const std::string& version) const {
    std::shared_lock lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.first != version) return nullptr;
    return it->second.second;
  }

  // Keeps `value` for `key` at `version`, replacing what was kept for the key.
  void Put(const std::string& key, const std::string& version, std::shared_ptr<const T> value) {
    std::unique_lock lock(mu_);
    if (entries_.size() >= max_entries_ && !entries_.contains(key)) entries_.clear();
    entries_[key] = {version, std::move(value)};
  }

 private:
  const size_t max_entries_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::pair<std::string, std::shared_ptr<const T>>> entries_;
};

}  // namespace pc
