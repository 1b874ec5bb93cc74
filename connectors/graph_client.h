// Microsoft Graph client (graph.microsoft.com; "<sandbox>/graph"): the few calls the service
// needs in a customer tenant, with app-only tokens for that tenant. Thread-safe.
#pragma once

#include <optional>
#include <string>

#include "connectors/entra_client.h"
#include "connectors/http_client.h"
#include "core/result.h"

namespace pc::connectors {

// A user to create in a customer tenant (POST /v1.0/users).
struct NewDirectoryUser {
  std::string display_name;
  std::string given_name, surname;
  std::string user_principal_name;  // name@<tenant domain>
  std::string mail_nickname;
  std::string password;  // temporary; the user must change it at first sign-in
};

class GraphClient {
 public:
  GraphClient(HttpClient& http, TokenProvider& tokens, std::string base_url);

  // The object id of the service principal of application `app_id` in `tenant`, or nullopt if
  // it does not exist (yet). Errors: Unavailable when Graph cannot be reached or fails.
  Result<std::optional<std::string>> ServicePrincipalId(const std::string& tenant,
                                                        const std::string& app_id);

  // Creates `user` in `tenant`, enabled, with forceChangePasswordNextSignIn. Returns its object
  // id. A user whose userPrincipalName already exists is found and its id returned (so a retry
  // after a crash does not fail; its password is then the one set the first time). Errors:
  // InvalidArgument with Graph's message for a 400 other than "already exists"; Unavailable when
  // Graph cannot be reached or fails. The password is never logged.
  Result<std::string> CreateUser(const std::string& tenant, const NewDirectoryUser& user);
  // The object id of the user `user_principal_name` in `tenant`, or nullopt.
  Result<std::optional<std::string>> UserId(const std::string& tenant,
                                            const std::string& user_principal_name);

 private:
  HttpClient& http_;
  TokenProvider& tokens_;
  std::string base_url_;
  // One call with a token for `tenant` (a 401 fetches a new token once).
  Result<HttpResponse> Send(const std::string& tenant, const std::string& method,
                            const std::string& path, const std::string& body);
};

}  // namespace pc::connectors
