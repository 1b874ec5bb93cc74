#include "connectors/graph_client.h"

#include "core/json.h"

namespace pc::connectors {

GraphClient::GraphClient(HttpClient& http, TokenProvider& tokens, std::string base_url)
    : http_(http), tokens_(tokens), base_url_(std::move(base_url)) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

Result<std::optional<std::string>> GraphClient::ServicePrincipalId(const std::string& tenant,
                                                                   const std::string& app_id) {
  HttpResponse res;
  for (int attempt = 0; attempt < 2; ++attempt) {
    PC_ASSIGN_OR_RETURN(std::string token, tokens_.Token(tenant, kGraphAudience));
    HttpRequest req;
    req.url = base_url_ + "/v1.0/servicePrincipals(appId='" + app_id + "')";
    req.headers = {{"Authorization", "Bearer " + token}, {"Accept", "application/json"}};
    req.timeout = std::chrono::seconds(30);
    PC_ASSIGN_OR_RETURN(res, http_.Send(req));
    // A token the upstream no longer accepts (revoked, or expired by its clock before ours):
    // fetch a new one once, as the Partner Center and ARM clients do.
    if (res.status != 401) break;
    tokens_.Invalidate(tenant, kGraphAudience);
  }
  if (res.status == 404) return std::optional<std::string>{};
  if (res.status != 200) {
    return Unavailable("Microsoft Graph answered " + std::to_string(res.status) +
                       " to the service principal lookup");
  }
  auto body = ParseJson(res.body);
  const auto* id = body.ok() && body->is_object() ? body->as_object().if_contains("id") : nullptr;
  if (!id || !id->is_string()) return Unavailable("Microsoft Graph answered without an id");
  return std::optional<std::string>(std::string(id->as_string()));
}

}  // namespace pc::connectors
