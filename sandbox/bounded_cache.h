// BoundedCache: a string-keyed map whose entries expire at a time of the caller's clock (the
// sandbox clock) and whose size is capped by entry count and by total bytes, so that hostile
// clients cannot grow the sandbox's memory (tokens, refresh tokens, the MS-RequestId replay
// cache). On insert, expired entries go first, then the entries closest to expiry until both
// caps hold. Not thread-safe: the sandbox guards it with State::mu.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/time.h"

namespace pc::sandbox {

template <class V>
class BoundedCache {
 public:
  BoundedCache(size_t max_entries, size_t max_bytes)
      : max_entries_(max_entries), max_bytes_(max_bytes) {}

  // Inserts or replaces `key`. `bytes` is the entry's weight against max_bytes. An entry
  // heavier than max_bytes on its own is not stored.
  void Put(const std::string& key, V value, Timestamp expires, size_t bytes, Timestamp now) {
    Erase(key);
    if (bytes > max_bytes_ || max_entries_ == 0) return;
    while (!by_expiry_.empty() && by_expiry_.begin()->first <= now)
      Erase(by_expiry_.begin()->second);
    while (!by_expiry_.empty() &&
           (entries_.size() + 1 > max_entries_ || bytes_ + bytes > max_bytes_)) {
      Erase(by_expiry_.begin()->second);
    }
    auto pos = by_expiry_.emplace(expires, key);
    entries_.emplace(key, Entry{std::move(value), expires, bytes, pos});
    bytes_ += bytes;
  }

  // The live value of `key`, or null when it is absent or expired at `now`.
  const V* Find(const std::string& key, Timestamp now) const {
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.expires <= now) return nullptr;
    return &it->second.value;
  }

  void Erase(const std::string& key) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    bytes_ -= it->second.bytes;
    by_expiry_.erase(it->second.by_expiry);
    entries_.erase(it);
  }

  void Clear() {
    entries_.clear();
    by_expiry_.clear();
    bytes_ = 0;
  }

  size_t size() const { return entries_.size(); }
  size_t bytes() const { return bytes_; }

 private:
  using ExpiryIndex = std::multimap<Timestamp, std::string>;
  struct Entry {
    V value;
    Timestamp expires;
    size_t bytes;
    typename ExpiryIndex::iterator by_expiry;
  };
  size_t max_entries_, max_bytes_;
  size_t bytes_ = 0;
  std::unordered_map<std::string, Entry> entries_;
  ExpiryIndex by_expiry_;
};

}  // namespace pc::sandbox
