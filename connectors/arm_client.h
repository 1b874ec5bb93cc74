// Azure Resource Manager client (management.azure.com; "<sandbox>/arm"): app-only tokens for
// the customer's tenant (the partner's app is consented there), ARM error bodies as values, and
// polling of long-running operations. Thread-safe.
#pragma once

#include <optional>
#include <string>

#include "connectors/entra_client.h"
#include "connectors/http_client.h"
#include "core/json.h"
#include "core/result.h"

namespace pc::connectors {

// An ARM answer: the body on success, or ARM's error code and message.
struct ArmResult {
  long status = 0;
  json::value body;
  std::string error_code;  // "RoleAssignmentExists", "RequestDisallowedByPolicy", ...
  std::string message;
  std::string location;  // Location / Azure-AsyncOperation of a long-running operation
  std::chrono::milliseconds retry_after{0};  // Retry-After of a 429 or 503
  bool ok() const { return status >= 200 && status < 300; }
};

// GET /subscriptions/{id}: what ARM shows of a subscription to the caller's application.
struct ArmSubscription {
  std::string subscription_id;
  std::string tenant_id;
  std::string display_name;
  std::string state;  // "Enabled", "Disabled", "Warned", "PastDue", "Deleted"
};

class ArmClient {
 public:
  ArmClient(HttpClient& http, TokenProvider& tokens, std::string base_url);

  // The same endpoint with another application's tokens (e.g. a customer's own application).
  ArmClient WithTokens(TokenProvider& tokens) const { return {http_, tokens, base_url_}; }
  TokenProvider& tokens() const { return tokens_; }

  // GET /subscriptions/{subscription_id} in `tenant`. Errors: Unauthenticated when Entra refuses
  // the application's token (with Entra's reason); NotFound with ARM's message when ARM does
  // not show the subscription to the application (404, 403); Unavailable when ARM cannot be
  // reached or answers 429/5xx.
  Result<ArmSubscription> GetSubscription(const std::string& tenant,
                                          const std::string& subscription_id);

  // `path_and_query` starts with "/" and carries api-version. Returns Unavailable only when no
  // answer came.
  Result<ArmResult> Call(const std::string& tenant, const std::string& method,
                         const std::string& path_and_query,
                         const std::optional<json::value>& body = std::nullopt);

  // --- Onboarding a new customer (the workflow's calls; governance convergence reuses them).
  // Each returns Unavailable only when no answer came; ARM's answer, success or error, is an
  // ArmResult.

  // GET /providers/Microsoft.Subscription/aliases/{name} (404 when none).
  Result<ArmResult> GetSubscriptionAlias(const std::string& tenant, const std::string& name);
  // PUT /providers/Microsoft.Subscription/aliases/{name}: a new subscription billed to customer
  // `customer_id` of the partner's billing account `billing_account`;
  // properties.provisioningState and properties.subscriptionId say how far it is.
  Result<ArmResult> PutSubscriptionAlias(const std::string& tenant, const std::string& name,
                                         const std::string& billing_account,
                                         const std::string& customer_id,
                                         const std::string& display_name);
  // PUT {subscription}/providers/Microsoft.Authorization/roleDefinitions/{id} with `body`.
  Result<ArmResult> PutRoleDefinition(const std::string& tenant, const std::string& subscription_id,
                                      const std::string& role_definition_id,
                                      const json::value& body);
  // PUT .../roleAssignments/{id}: the role definition `role_definition_id` (of the same
  // subscription) to a principal of `principal_type` ("ServicePrincipal" or "User"; 409
  // RoleAssignmentExists: already there).
  Result<ArmResult> PutRoleAssignment(const std::string& tenant, const std::string& subscription_id,
                                      const std::string& assignment_id,
                                      const std::string& role_definition_id,
                                      const std::string& principal_id,
                                      const std::string& description,
                                      const std::string& principal_type = "ServicePrincipal");
  // PUT .../policyAssignments/{name} with `body`.
  Result<ArmResult> PutPolicyAssignment(const std::string& tenant,
                                        const std::string& subscription_id, const std::string& name,
                                        const json::value& body);
  // --- Governance (governance/convergence.h): reading and removing what onboarding wrote.
  // Each returns Unavailable only when no answer came (404 is an ArmResult).
  // GET / DELETE {subscription}/providers/Microsoft.Authorization/roleDefinitions/{id}.
  Result<ArmResult> GetRoleDefinition(const std::string& tenant, const std::string& subscription_id,
                                      const std::string& role_definition_id);
  Result<ArmResult> DeleteRoleDefinition(const std::string& tenant,
                                         const std::string& subscription_id,
                                         const std::string& role_definition_id);
  // GET / DELETE .../roleAssignments/{id}.
  Result<ArmResult> GetRoleAssignment(const std::string& tenant, const std::string& subscription_id,
                                      const std::string& assignment_id);
  Result<ArmResult> DeleteRoleAssignment(const std::string& tenant,
                                         const std::string& subscription_id,
                                         const std::string& assignment_id);
  // GET / DELETE .../policyAssignments/{name} (DELETE of an absent one: 204).
  Result<ArmResult> GetPolicyAssignment(const std::string& tenant,
                                        const std::string& subscription_id,
                                        const std::string& name);
  Result<ArmResult> DeletePolicyAssignment(const std::string& tenant,
                                           const std::string& subscription_id,
                                           const std::string& name);
  // GET /subscriptions/{id}/resources (api-version 2021-04-01): {"value":[{id,name,type,...}]}.
  Result<ArmResult> ListResources(const std::string& tenant, const std::string& subscription_id);
  // GET {subscription}/providers/{namespace}: registrationState.
  Result<ArmResult> GetResourceProvider(const std::string& tenant,
                                        const std::string& subscription_id,
                                        const std::string& resource_namespace);
  // POST {subscription}/providers/{namespace}/register.
  Result<ArmResult> RegisterResourceProvider(const std::string& tenant,
                                             const std::string& subscription_id,
                                             const std::string& resource_namespace);
  // "/subscriptions/{id}/providers/Microsoft.Authorization/roleDefinitions/{role}": the id a
  // role assignment names.
  static std::string RoleDefinitionResourceId(const std::string& subscription_id,
                                              const std::string& role_definition_id);

 private:
  HttpClient& http_;
  TokenProvider& tokens_;
  std::string base_url_;
};

}  // namespace pc::connectors
