#include "connectors/arm_client.h"

namespace pc::connectors {

ArmClient::ArmClient(HttpClient& http, TokenProvider& tokens, std::string base_url)
    : http_(http), tokens_(tokens), base_url_(std::move(base_url)) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

Result<ArmSubscription> ArmClient::GetSubscription(const std::string& tenant,
                                                   const std::string& subscription_id) {
  PC_ASSIGN_OR_RETURN(
      ArmResult r,
      Call(tenant, "GET", "/subscriptions/" + subscription_id + "?api-version=2022-12-01"));
  if (r.status == 404 || r.status == 403 || r.status == 401) {
    return NotFound(r.error_code.empty() ? r.message : r.error_code + ": " + r.message);
  }
  if (!r.ok()) {
    Error e = Unavailable("Azure Resource Manager answered HTTP " + std::to_string(r.status) +
                          (r.error_code.empty() ? "" : " " + r.error_code) + ": " + r.message);
    e.retry_after = r.retry_after;
    return e;
  }
  if (!r.body.is_object())
    return Unavailable("Azure Resource Manager answered a body that is not JSON");
  const auto& o = r.body.as_object();
  auto text = [&](std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  return ArmSubscription{text("subscriptionId"), text("tenantId"), text("displayName"),
                         text("state")};
}

Result<ArmResult> ArmClient::Call(const std::string& tenant, const std::string& method,
                                  const std::string& path_and_query,
                                  const std::optional<json::value>& body) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    PC_ASSIGN_OR_RETURN(std::string token, tokens_.Token(tenant, kArmAudience));
    HttpRequest req;
    req.method = method;
    req.url = base_url_ + path_and_query;
    req.headers = {{"Authorization", "Bearer " + token}, {"Accept", "application/json"}};
    if (body) {
      req.headers.emplace_back("Content-Type", "application/json");
      req.body = json::serialize(*body);
    }
    req.timeout = std::chrono::seconds(60);
    req.tenant = tenant;
    PC_ASSIGN_OR_RETURN(HttpResponse res, http_.Send(req));
    if (res.status == 401 && attempt == 0) {
      tokens_.Invalidate(tenant, kArmAudience);
      continue;
    }
    ArmResult out;
    out.status = res.status;
    out.retry_after = HttpClient::RetryAfter(res.Header("retry-after"));
    out.location = res.Header("azure-asyncoperation");
    if (out.location.empty()) out.location = res.Header("location");
    if (!res.body.empty()) {
      auto parsed = ParseJson(res.body);
      if (parsed.ok()) out.body = std::move(*parsed);
    }
    if (!out.ok()) {
      const json::value* err =
          out.body.is_object() ? out.body.as_object().if_contains("error") : nullptr;
      if (err && err->is_object()) {
        if (const auto* c = err->as_object().if_contains("code"); c && c->is_string()) {
          out.error_code = std::string(c->as_string());
        }
        if (const auto* m = err->as_object().if_contains("message"); m && m->is_string()) {
          out.message = std::string(m->as_string());
        }
      }
      if (out.message.empty()) out.message = "HTTP " + std::to_string(res.status);
    }
    return out;
  }
  return Unauthenticated("Azure Resource Manager refused the token twice");
}

// --- Onboarding a new customer.

namespace {

constexpr std::string_view kRoleApiVersion = "2022-04-01";
constexpr std::string_view kPolicyApiVersion = "2023-04-01";
constexpr std::string_view kProvidersApiVersion = "2021-04-01";
constexpr std::string_view kAliasApiVersion = "2021-10-01";

std::string AuthorizationScope(const std::string& subscription_id) {
  return "/subscriptions/" + subscription_id + "/providers/Microsoft.Authorization";
}

std::string AliasPath(const std::string& name) {
  return "/providers/Microsoft.Subscription/aliases/" + name +
         "?api-version=" + std::string(kAliasApiVersion);
}

std::string ProviderPath(const std::string& subscription_id, const std::string& ns) {
  return "/subscriptions/" + subscription_id + "/providers/" + ns;
}

}  // namespace

Result<ArmResult> ArmClient::GetSubscriptionAlias(const std::string& tenant,
                                                  const std::string& name) {
  return Call(tenant, "GET", AliasPath(name));
}

Result<ArmResult> ArmClient::PutSubscriptionAlias(const std::string& tenant,
                                                  const std::string& name,
                                                  const std::string& billing_account,
                                                  const std::string& customer_id,
                                                  const std::string& display_name) {
  json::object body{{"properties",
                     {{"billingScope", "/providers/Microsoft.Billing/billingAccounts/" +
                                           billing_account + "/customers/" + customer_id},
                      {"displayName", display_name},
                      {"workload", "Production"}}}};
  return Call(tenant, "PUT", AliasPath(name), json::value(std::move(body)));
}

std::string ArmClient::RoleDefinitionResourceId(const std::string& subscription_id,
                                                const std::string& role_definition_id) {
  return AuthorizationScope(subscription_id) + "/roleDefinitions/" + role_definition_id;
}

Result<ArmResult> ArmClient::PutRoleDefinition(const std::string& tenant,
                                               const std::string& subscription_id,
                                               const std::string& role_definition_id,
                                               const json::value& body) {
  return Call(tenant, "PUT",
              RoleDefinitionResourceId(subscription_id, role_definition_id) +
                  "?api-version=" + std::string(kRoleApiVersion),
              body);
}

Result<ArmResult> ArmClient::PutRoleAssignment(
    const std::string& tenant, const std::string& subscription_id, const std::string& assignment_id,
    const std::string& role_definition_id, const std::string& principal_id,
    const std::string& description, const std::string& principal_type) {
  json::object body{
      {"properties",
       {{"roleDefinitionId", RoleDefinitionResourceId(subscription_id, role_definition_id)},
        {"principalId", principal_id},
        {"principalType", principal_type},
        {"description", description}}}};
  return Call(tenant, "PUT",
              AuthorizationScope(subscription_id) + "/roleAssignments/" + assignment_id +
                  "?api-version=" + std::string(kRoleApiVersion),
              json::value(std::move(body)));
}

Result<ArmResult> ArmClient::PutPolicyAssignment(const std::string& tenant,
                                                 const std::string& subscription_id,
                                                 const std::string& name, const json::value& body) {
  return Call(tenant, "PUT",
              AuthorizationScope(subscription_id) + "/policyAssignments/" + name +
                  "?api-version=" + std::string(kPolicyApiVersion),
              body);
}

Result<ArmResult> ArmClient::GetRoleDefinition(const std::string& tenant,
                                               const std::string& subscription_id,
                                               const std::string& role_definition_id) {
  return Call(tenant, "GET",
              RoleDefinitionResourceId(subscription_id, role_definition_id) +
                  "?api-version=" + std::string(kRoleApiVersion));
}

Result<ArmResult> ArmClient::DeleteRoleDefinition(const std::string& tenant,
                                                  const std::string& subscription_id,
                                                  const std::string& role_definition_id) {
  return Call(tenant, "DELETE",
              RoleDefinitionResourceId(subscription_id, role_definition_id) +
                  "?api-version=" + std::string(kRoleApiVersion));
}

Result<ArmResult> ArmClient::GetRoleAssignment(const std::string& tenant,
                                               const std::string& subscription_id,
                                               const std::string& assignment_id) {
  return Call(tenant, "GET",
              AuthorizationScope(subscription_id) + "/roleAssignments/" + assignment_id +
                  "?api-version=" + std::string(kRoleApiVersion));
}

Result<ArmResult> ArmClient::DeleteRoleAssignment(const std::string& tenant,
                                                  const std::string& subscription_id,
                                                  const std::string& assignment_id) {
  return Call(tenant, "DELETE",
              AuthorizationScope(subscription_id) + "/roleAssignments/" + assignment_id +
                  "?api-version=" + std::string(kRoleApiVersion));
}

Result<ArmResult> ArmClient::GetPolicyAssignment(const std::string& tenant,
                                                 const std::string& subscription_id,
                                                 const std::string& name) {
  return Call(tenant, "GET",
              AuthorizationScope(subscription_id) + "/policyAssignments/" + name +
                  "?api-version=" + std::string(kPolicyApiVersion));
}

Result<ArmResult> ArmClient::DeletePolicyAssignment(const std::string& tenant,
                                                    const std::string& subscription_id,
                                                    const std::string& name) {
  return Call(tenant, "DELETE",
              AuthorizationScope(subscription_id) + "/policyAssignments/" + name +
                  "?api-version=" + std::string(kPolicyApiVersion));
}

Result<ArmResult> ArmClient::ListResources(const std::string& tenant,
                                           const std::string& subscription_id) {
  return Call(tenant, "GET",
              "/subscriptions/" + subscription_id +
                  "/resources?api-version=" + std::string(kProvidersApiVersion));
}

Result<ArmResult> ArmClient::GetResourceProvider(const std::string& tenant,
                                                 const std::string& subscription_id,
                                                 const std::string& resource_namespace) {
  return Call(tenant, "GET",
              ProviderPath(subscription_id, resource_namespace) +
                  "?api-version=" + std::string(kProvidersApiVersion));
}

Result<ArmResult> ArmClient::RegisterResourceProvider(const std::string& tenant,
                                                      const std::string& subscription_id,
                                                      const std::string& resource_namespace) {
  return Call(tenant, "POST",
              ProviderPath(subscription_id, resource_namespace) +
                  "/register?api-version=" + std::string(kProvidersApiVersion));
}

}  // namespace pc::connectors
