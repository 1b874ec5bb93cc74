#include "onboarding/connections.h"

#include "core/uuid.h"

namespace pc::onboarding {

ClcConnection ClcConnections::Add(ClcConnection connection) {
  auto now = std::chrono::system_clock::now();
  connection.id = Uuid::V4().ToString();
  connection.expires_at = now + ttl_;
  std::lock_guard lock(mu_);
  for (auto it = by_id_.begin(); it != by_id_.end();) {
    it = it->second.expires_at <= now ? by_id_.erase(it) : std::next(it);
  }
  by_id_[connection.id] = connection;
  return connection;
}

std::optional<ClcConnection> ClcConnections::Find(const std::string& id,
                                                  const std::string& user_id) {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end() || it->second.user_id != user_id ||
      it->second.expires_at <= std::chrono::system_clock::now()) {
    return std::nullopt;
  }
  return it->second;
}

}  // namespace pc::onboarding
