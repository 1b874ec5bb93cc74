// Microsoft Graph client (graph.microsoft.com; "<sandbox>/graph"): the few calls the service
// needs in a customer tenant, with app-only tokens for that tenant. Thread-safe.
#pragma once

#include <optional>
#include <string>

#include "connectors/entra_client.h"
#include "connectors/http_client.h"
#include "core/result.h"

namespace pc::connectors {

class GraphClient {
 public:
  GraphClient(HttpClient& http, TokenProvider& tokens, std::string base_url);

  // The object id of the service principal of application `app_id` in `tenant`, or nullopt if
  // it does not exist (yet). Errors: Unavailable when Graph cannot be reached or fails.
  Result<std::optional<std::string>> ServicePrincipalId(const std::string& tenant,
                                                        const std::string& app_id);

 private:
  HttpClient& http_;
  TokenProvider& tokens_;
  std::string base_url_;
};

}  // namespace pc::connectors
