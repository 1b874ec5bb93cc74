// ClcConnections: the CenturyLink Cloud logins made at "Connect a CenturyLink Cloud Account",
// kept in memory only (the CLC bearer token is never written anywhere) for 15 minutes, so that
// Save can re-check the chosen alias with CLC. A connection belongs to the user who made it.
// Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "connectors/clc_client.h"
#include "onboarding/eligibility.h"

namespace pc::onboarding {

struct ClcConnection {
  std::string id;
  std::string user_id;  // our user who connected
  connectors::ClcLogin login;
  std::vector<connectors::ClcAccount> accounts;  // home first, then descendants
  std::vector<BillingAliasChoice> aliases;
  std::chrono::system_clock::time_point expires_at;
};

class ClcConnections {
 public:
  explicit ClcConnections(std::chrono::seconds ttl = std::chrono::minutes(15)) : ttl_(ttl) {}

  // Stores the connection and returns it with its id and expiry filled in.
  ClcConnection Add(ClcConnection connection);
  // The connection if it exists, is not expired and belongs to `user_id`.
  std::optional<ClcConnection> Find(const std::string& id, const std::string& user_id);

 private:
  std::chrono::seconds ttl_;
  std::mutex mu_;
  std::map<std::string, ClcConnection> by_id_;
};

}  // namespace pc::onboarding
