// Azure Resource Manager under /arm: subscriptions, resource providers, role definitions and
// assignments, policy assignments (with the built-in Allowed / Not allowed resource types
// definitions), generic resource PUT with policy enforcement, Microsoft.Subscription aliases.
#include <boost/algorithm/string/case_conv.hpp>
#include <boost/algorithm/string/erase.hpp>
#include <boost/algorithm/string/predicate.hpp>
#include <map>
#include <optional>
#include <set>

#include "core/uuid.h"
#include "sandbox/services.h"

namespace pc::sandbox {

namespace {

constexpr std::string_view kAuth = "/providers/Microsoft.Authorization";
constexpr std::string_view kAllowedTypes = "a08ec900-254a-4555-9bf5-e42af04b5c5c";
constexpr std::string_view kNotAllowedTypes = "6c112d4e-5bc7-47ae-a041-ea2d9dccd749";

struct BuiltInRole {
  const char* id;
  const char* name;
  const char* description;
  const char* action;
};
constexpr BuiltInRole kBuiltInRoles[] = {
    {"8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner",
     "Grants full access to manage all resources, including the ability to assign roles in "
     "Azure RBAC.",
     "*"},
    {"b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor",
     "Grants full access to manage all resources, but does not allow you to assign roles in "
     "Azure RBAC.",
     "*"},
    {"acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader",
     "View all resources, but does not allow "
     "you to make any changes.",
     "*/read"},
    {"18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "User Access Administrator",
     "Lets you manage user access to Azure resources.", "Microsoft.Authorization/*"},
    {"f58310d9-a9f6-439a-9e8d-f62e7b41a168", "Role Based Access Control Administrator",
     "Manage access to Azure resources by assigning roles using Azure RBAC.",
     "Microsoft.Authorization/roleAssignments/write"},
};

const BuiltInRole* FindBuiltInRole(std::string_view guid) {
  for (const auto& r : kBuiltInRoles) {
    if (boost::iequals(r.id, guid)) return &r;
  }
  return nullptr;
}

json::object BuiltInRoleJson(const BuiltInRole& r, const std::string& scope_prefix) {
  json::array not_actions;
  return json::object{
      {"properties",
       json::object{{"roleName", r.name},
                    {"type", "BuiltInRole"},
                    {"description", r.description},
                    {"assignableScopes", json::array{"/"}},
                    {"permissions", json::array{json::object{{"actions", json::array{r.action}},
                                                             {"notActions", json::array{}},
                                                             {"dataActions", json::array{}},
                                                             {"notDataActions", json::array{}}}}}}},
      {"id", scope_prefix + std::string(kAuth) + "/roleDefinitions/" + r.id},
      {"type", "Microsoft.Authorization/roleDefinitions"},
      {"name", r.id}};
}

// The two built-in policy definitions, as in Azure/azure-policy built-in-policies/General.
json::object BuiltInPolicy(std::string_view guid) {
  if (guid == kAllowedTypes) {
    return json::
        parse(R"({"properties":{"displayName":"Allowed resource types","policyType":"BuiltIn","mode":"Indexed","description":"This policy enables you to specify the resource types that your organization can deploy. Only resource types that support 'tags' and 'location' will be affected by this policy. To restrict all resources please duplicate this policy and change the 'mode' to 'All'.","metadata":{"version":"1.0.0","category":"General"},"version":"1.0.0","parameters":{"listOfResourceTypesAllowed":{"type":"Array","metadata":{"description":"The list of resource types that can be deployed.","displayName":"Allowed resource types","strongType":"resourceTypes"}}},"policyRule":{"if":{"not":{"field":"type","in":"[parameters('listOfResourceTypesAllowed')]"}},"then":{"effect":"deny"}},"versions":["1.0.0"]},"id":"/providers/Microsoft.Authorization/policyDefinitions/a08ec900-254a-4555-9bf5-e42af04b5c5c","name":"a08ec900-254a-4555-9bf5-e42af04b5c5c","type":"Microsoft.Authorization/policyDefinitions"})")
            .as_object();
  }
  if (guid == kNotAllowedTypes) {
    return json::
        parse(R"({"properties":{"displayName":"Not allowed resource types","policyType":"BuiltIn","mode":"All","description":"Restrict which resource types can be deployed in your environment. Limiting resource types can reduce the complexity and attack surface of your environment while also helping to manage costs. Compliance results are only shown for non-compliant resources.","metadata":{"version":"2.0.0","category":"General"},"version":"2.0.0","parameters":{"listOfResourceTypesNotAllowed":{"type":"Array","metadata":{"description":"The list of resource types that cannot be deployed.","displayName":"Not allowed resource types","strongType":"resourceTypes"}},"effect":{"type":"String","metadata":{"displayName":"Effect","description":"Enable or disable the execution of the policy"},"allowedValues":["Audit","Deny","Disabled"],"defaultValue":"Deny"}},"policyRule":{"if":{"allOf":[{"field":"type","in":"[parameters('listOfResourceTypesNotAllowed')]"},{"value":"[field('type')]","exists":true}]},"then":{"effect":"[parameters('effect')]"}},"versions":["2.0.0"]},"id":"/providers/Microsoft.Authorization/policyDefinitions/6c112d4e-5bc7-47ae-a041-ea2d9dccd749","name":"6c112d4e-5bc7-47ae-a041-ea2d9dccd749","type":"Microsoft.Authorization/policyDefinitions"})")
            .as_object();
  }
  return {};
}

std::string LastSegment(std::string_view id) { return std::string(id.substr(id.rfind('/') + 1)); }

// The value inside quotes of `clause` after `prefix` and before `suffix` ("principalId eq '",
// "'"), or nullopt when the clause has another shape. Case-insensitive prefix.
std::optional<std::string> Quoted(std::string_view clause, std::string_view prefix,
                                  std::string_view suffix) {
  if (clause.size() < prefix.size() + suffix.size() || !boost::istarts_with(clause, prefix) ||
      !clause.ends_with(suffix)) {
    return std::nullopt;
  }
  return std::string(clause.substr(prefix.size(), clause.size() - prefix.size() - suffix.size()));
}

// "a and b and c" -> {"a","b","c"} (trimmed, case-insensitive "and").
std::vector<std::string> AndClauses(const std::string& filter) {
  std::vector<std::string> out;
  std::string lower = boost::to_lower_copy(filter);
  size_t start = 0;
  for (;;) {
    size_t at = lower.find(" and ", start);
    std::string part =
        filter.substr(start, at == std::string::npos ? std::string::npos : at - start);
    while (!part.empty() && part.front() == ' ') part.erase(part.begin());
    while (!part.empty() && part.back() == ' ') part.pop_back();
    out.push_back(part);
    if (at == std::string::npos) break;
    start = at + 5;
  }
  return out;
}

// ARM's audit fields: who (the caller's application) and when.
json::object SystemData(const std::string& created_by, const std::string& created_at,
                        const std::string& modified_by, const std::string& modified_at) {
  return json::object{{"createdBy", created_by},
                      {"createdByType", "Application"},
                      {"createdAt", created_at},
                      {"lastModifiedBy", modified_by},
                      {"lastModifiedByType", "Application"},
                      {"lastModifiedAt", modified_at}};
}

// The caller's identity as ARM records it (createdBy): the application id of the token.
std::string Caller() { return std::string(kClientId); }

// Whether `principal` is a user or service principal of `tenant` in the sandbox's Graph.
bool PrincipalExists(const State& state, const std::string& tenant, const std::string& principal) {
  for (const auto* list : {&state.users, &state.service_principals}) {
    for (const auto& o : *list) {
      if (boost::iequals(std::string(o.at("id").as_string()), principal) &&
          boost::iequals(std::string(o.at("tenantId").as_string()), tenant)) {
        return true;
      }
    }
  }
  return false;
}

http::Response Ok(http::Status status, const json::value& v) {
  auto res = http::JsonResponse(status, v);
  res.set(http::beast_http::field::content_type, "application/json; charset=utf-8");
  return res;
}

json::object SubscriptionJson(const AzureSubscription& s) {
  return json::object{
      {"authorizationSource", "RoleBased"},
      {"displayName", s.display_name},
      {"id", "/subscriptions/" + s.subscription_id},
      {"managedByTenants", json::array{json::object{{"tenantId", kPartnerTenantId}}}},
      {"state", "Enabled"},
      {"subscriptionId", s.subscription_id},
      {"subscriptionPolicies", json::object{{"locationPlacementId", "Public_2014-09-01"},
                                            {"quotaId", "CSP_2015-05-01"},
                                            {"spendingLimit", "Off"}}},
      {"tags", json::object{}},
      {"tenantId", s.tenant_id}};
}

// Common checks: token, api-version, and (when `sub` is non-empty) an existing subscription.
std::optional<http::Response> Check(State& state, http::RequestContext& ctx,
                                    const std::string& sub) {
  if (!state.Bearer(ctx.request)) {
    auto res = ArmError(http::Status::unauthorized, "AuthenticationFailed",
                        Header(ctx.request, "Authorization").empty()
                            ? "Authentication failed. The 'Authorization' header is missing."
                            : "Authentication failed. The access token is invalid or expired.");
    res.set("WWW-Authenticate",
            "Bearer authorization_uri=\"https://login.microsoftonline.com/common\", "
            "error=\"invalid_token\"");
    return res;
  }
  if (ctx.query["api-version"].empty()) {
    return ArmError(http::Status::bad_request, "MissingApiVersionParameter",
                    "The api-version query parameter (?api-version=) is required for all "
                    "requests.");
  }
  if (!sub.empty() && !state.FindAzureSubscription(sub)) {
    return ArmError(http::Status::not_found, "SubscriptionNotFound",
                    "The subscription '" + sub + "' could not be found.");
  }
  return std::nullopt;
}

Result<json::object> Body(const http::RequestContext& ctx) {
  return ParseJsonObject(ctx.request.body());
}

json::object ProviderJson(const std::string& sub, const std::string& ns, const std::string& st) {
  static const std::map<std::string, std::vector<std::string>> kTypes = {
      {"Microsoft.Compute", {"virtualMachines", "disks", "availabilitySets"}},
      {"Microsoft.Storage", {"storageAccounts"}},
      {"Microsoft.Network",
       {"virtualNetworks", "loadBalancers", "publicIPAddresses", "networkSecurityGroups",
        "networkInterfaces"}},
      {"Microsoft.Insights", {"components", "metricAlerts", "alertrules"}},
      {"Microsoft.ResourceHealth", {"availabilityStatuses"}},
      {"Microsoft.Web", {"sites", "serverFarms"}},
      {"Microsoft.Sql", {"servers"}},
      {"Microsoft.Resources", {"resourceGroups", "deployments"}},
      {"Microsoft.Authorization", {"roleAssignments", "roleDefinitions", "policyAssignments"}},
      {"Microsoft.Billing", {"billingAccounts"}}};
  // Types that Azure also offers in Edge Zones (GetProviders.json: locationMappings).
  static const std::set<std::string> kEdgeZoneTypes = {
      "Microsoft.Compute/virtualMachines",   "Microsoft.Compute/disks",
      "Microsoft.Network/virtualNetworks",   "Microsoft.Network/loadBalancers",
      "Microsoft.Network/publicIPAddresses", "Microsoft.Network/networkSecurityGroups",
      "Microsoft.Network/networkInterfaces"};
  json::array types;
  if (auto it = kTypes.find(ns); it != kTypes.end()) {
    for (const auto& t : it->second) {
      // As ARM reports them: tracked types move and take tags and a location; Authorization's
      // are extension resources; billing accounts none of these.
      std::string capabilities = ns == "Microsoft.Authorization" ? "SupportsExtension"
                                 : ns == "Microsoft.Billing"     ? "None"
                                 : t == "deployments"
                                     ? "SupportsTags"
                                     : "CrossResourceGroupResourceMove, "
                                       "CrossSubscriptionResourceMove, SupportsTags, "
                                       "SupportsLocation";
      json::object type{{"resourceType", t},
                        {"locations", json::array{"East US", "West Europe"}},
                        {"apiVersions", json::array{"2023-09-01", "2021-04-01"}}};
      if (kEdgeZoneTypes.contains(ns + "/" + t)) {
        type["locationMappings"] = json::array{json::object{
            {"location", "East US"},
            {"type", "EdgeZone"},
            {"extendedLocations", json::array{"attatlanta1", "microsoftlosangeles1"}}}};
      }
      type["capabilities"] = capabilities;
      types.push_back(std::move(type));
    }
  }
  return json::object{{"id", "/subscriptions/" + sub + "/providers/" + ns},
                      {"namespace", ns},
                      {"registrationState", st},
                      {"registrationPolicy", "RegistrationRequired"},
                      {"resourceTypes", std::move(types)}};
}

// Indexed mode evaluates only resource types that support tags and location: in the sandbox,
// top-level tracked types (Namespace/type) outside Microsoft.Authorization and deployments.
bool SupportsTagsAndLocation(const std::string& type) {
  if (std::count(type.begin(), type.end(), '/') != 1) return false;
  return !boost::istarts_with(type, "Microsoft.Authorization/") &&
         !boost::iequals(type, "Microsoft.Resources/deployments");
}

bool ListContains(const json::value* list, const std::string& type) {
  if (!list || !list->is_array()) return false;
  for (const auto& v : list->as_array()) {
    if (v.is_string() && boost::iequals(std::string(v.as_string()), type)) return true;
  }
  return false;
}

const json::value* Param(const json::object& props, std::string_view name) {
  auto* params = props.if_contains("parameters");
  if (!params || !params->is_object()) return nullptr;
  auto* p = params->as_object().if_contains(name);
  if (!p || !p->is_object()) return nullptr;
  return p->as_object().if_contains("value");
}

// The policy assignment that denies `type` in `sub`, if any.
const json::object* Denying(const State& state, const std::string& sub, const std::string& rg,
                            const std::string& type) {
  std::string sub_scope = "/subscriptions/" + sub;
  std::string rg_scope = sub_scope + "/resourceGroups/" + rg;
  for (const auto& [id, pa] : state.policy_assignments) {
    const auto& props = pa.at("properties").as_object();
    std::string scope(props.at("scope").as_string());
    if (!boost::iequals(scope, sub_scope) && !boost::iequals(scope, rg_scope)) continue;
    if (props.contains("enforcementMode") && props.at("enforcementMode") == "DoNotEnforce") {
      continue;
    }
    std::string def = LastSegment(props.at("policyDefinitionId").as_string());
    if (def == kAllowedTypes) {
      if (SupportsTagsAndLocation(type) &&
          !ListContains(Param(props, "listOfResourceTypesAllowed"), type)) {
        return &pa;
      }
    } else if (def == kNotAllowedTypes) {
      const json::value* effect = Param(props, "effect");
      bool deny = !effect ||
                  (effect->is_string() && boost::iequals(std::string(effect->as_string()), "Deny"));
      if (deny && ListContains(Param(props, "listOfResourceTypesNotAllowed"), type)) return &pa;
    }
  }
  return nullptr;
}

void RoleAssignmentRoutes(http::Router& router, State& state, const std::string& prefix) {
  // prefix is "/arm/subscriptions/{sub}" or "/arm/subscriptions/{sub}/resourceGroups/{rg}".
  auto scope_of = [](http::RequestContext& ctx) {
    std::string s = "/subscriptions/" + ctx.params["sub"];
    if (ctx.params.count("rg")) s += "/resourceGroups/" + ctx.params["rg"];
    return s;
  };
  std::string item = prefix + std::string(kAuth) + "/roleAssignments/{name}";
  router.Add(http::Verb::put, item, [&state, scope_of](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    if (auto err = Check(state, ctx, ctx.params["sub"])) return std::move(*err);
    auto body = Body(ctx);
    if (!body.ok())
      return ArmError(http::Status::bad_request, "InvalidRequestContent", body.error().message);
    auto* props = body->if_contains("properties");
    if (!props || !props->is_object()) {
      return ArmError(http::Status::bad_request, "InvalidRequestContent",
                      "The request content was invalid: 'properties' is required.");
    }
    std::string role = StringCi(props->as_object(), "roleDefinitionId");
    std::string principal = StringCi(props->as_object(), "principalId");
    std::string principal_type = StringCi(props->as_object(), "principalType");
    if (principal_type.empty()) principal_type = "User";
    std::string name = ctx.params["name"];
    if (role.empty() || principal.empty() || !Uuid::Parse(name).ok() ||
        !Uuid::Parse(principal).ok() || !Uuid::Parse(LastSegment(role)).ok()) {
      return ArmError(http::Status::bad_request, "InvalidRoleAssignmentRequest",
                      "roleDefinitionId and principalId are required GUIDs and the role "
                      "assignment name must be a GUID.");
    }
    std::string scope = scope_of(ctx);
    std::string role_guid = boost::to_lower_copy(LastSegment(role));
    // Kept in the form it was sent (canonical segment casing), as ARM returns it.
    std::string role_id = NormalizeArmPath(role);
    // ARM looks the principal up in the subscription's directory. With a principalType it
    // does not wait for the directory (a principal just created may not have replicated yet).
    const std::string& tenant = state.FindAzureSubscription(ctx.params["sub"])->tenant_id;
    if (!FindCi(props->as_object(), "principalType") &&
        !PrincipalExists(state, tenant, principal)) {
      return ArmError(http::Status::bad_request, "PrincipalNotFound",
                      "Principal " + boost::erase_all_copy(principal, "-") +
                          " does not exist in the directory " + tenant +
                          ". Check that you have the correct principal ID. If you are creating "
                          "this principal and then immediately assigning a role, this error "
                          "might be related to a replication delay. In this case, set the role "
                          "assignment principalType property to a value, such as "
                          "ServicePrincipal, User, or Group.  See "
                          "https://aka.ms/docs-principaltype");
    }
    std::string id = scope + std::string(kAuth) + "/roleAssignments/" + name;
    std::string now = Iso(state.Now());
    std::string caller = Caller();
    json::object out_props{{"roleDefinitionId", role_id},
                           {"principalId", principal},
                           {"principalType", principal_type},
                           {"scope", scope},
                           {"condition", nullptr},
                           {"conditionVersion", nullptr},
                           {"createdOn", now},
                           {"updatedOn", now},
                           {"createdBy", caller},
                           {"updatedBy", caller},
                           {"delegatedManagedIdentityResourceId", nullptr}};
    if (auto* d = FindCi(props->as_object(), "description"); d && d->is_string()) {
      out_props["description"] = *d;
    }
    json::object resource{{"properties", out_props},
                          {"id", id},
                          {"type", "Microsoft.Authorization/roleAssignments"},
                          {"name", name}};
    for (auto& [other_id, ra] : state.role_assignments) {
      const auto& p = ra.at("properties").as_object();
      bool same = boost::iequals(std::string(p.at("principalId").as_string()), principal) &&
                  boost::iequals(LastSegment(p.at("roleDefinitionId").as_string()), role_guid) &&
                  boost::iequals(std::string(p.at("scope").as_string()), scope);
      if (boost::iequals(other_id, id)) {
        if (!same) {
          return ArmError(http::Status::bad_request, "RoleAssignmentUpdateNotPermitted",
                          "Tenant ID, application ID, principal ID, and scope are not allowed "
                          "to be updated.");
        }
        return Ok(http::Status::ok, ra);
      }
      if (same) {
        return ArmError(http::Status::conflict, "RoleAssignmentExists",
                        "The role assignment already exists.");
      }
    }
    state.role_assignments[id] = resource;
    return Ok(http::Status::created, resource);
  });
  router.Add(http::Verb::get, item, [&state, scope_of](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    if (auto err = Check(state, ctx, ctx.params["sub"])) return std::move(*err);
    std::string id = scope_of(ctx) + std::string(kAuth) + "/roleAssignments/" + ctx.params["name"];
    for (const auto& [k, ra] : state.role_assignments) {
      if (boost::iequals(k, id)) return Ok(http::Status::ok, ra);
    }
    return ArmError(http::Status::not_found, "RoleAssignmentNotFound",
                    "The role assignment '" + ctx.params["name"] + "' is not found.");
  });
  router.Add(http::Verb::delete_, item, [&state, scope_of](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    if (auto err = Check(state, ctx, ctx.params["sub"])) return std::move(*err);
    std::string id = scope_of(ctx) + std::string(kAuth) + "/roleAssignments/" + ctx.params["name"];
    for (auto it = state.role_assignments.begin(); it != state.role_assignments.end(); ++it) {
      if (boost::iequals(it->first, id)) {
        json::object ra = it->second;
        state.role_assignments.erase(it);
        return Ok(http::Status::ok, ra);
      }
    }
    return http::Response{http::Status::no_content, 11};
  });
  router.Add(http::Verb::get, prefix + std::string(kAuth) + "/roleAssignments",
             [&state, scope_of](http::RequestContext& ctx) {
               std::lock_guard lock(state.mu);
               if (auto err = Check(state, ctx, ctx.params["sub"])) return std::move(*err);
               std::string scope = scope_of(ctx);
               std::string filter = ctx.query["$filter"];
               // ARM's filters: atScope(), principalId eq '{id}', assignedTo('{id}'), and
               // atScope() with one of the others.
               std::string principal;
               bool at_scope = false;
               for (const auto& clause :
                    filter.empty() ? std::vector<std::string>{} : AndClauses(filter)) {
                 auto eq = Quoted(clause, "principalId eq '", "'");
                 auto to = Quoted(clause, "assignedTo('", "')");
                 if (boost::iequals(clause, "atScope()")) {
                   at_scope = true;
                 } else if ((eq || to) && principal.empty()) {
                   principal = eq ? *eq : *to;
                 } else {
                   return ArmError(http::Status::bad_request, "UnsupportedQuery",
                                   "The filter '" + filter +
                                       "' is not supported. Supported filters are either "
                                       "'atScope()' or 'principalId eq '{value}'' or "
                                       "'assignedTo('{value}')'.");
                 }
               }
               json::array value;
               for (const auto& [id, ra] : state.role_assignments) {
                 const auto& p = ra.at("properties").as_object();
                 std::string s(p.at("scope").as_string());
                 bool above = boost::iequals(s, scope) || boost::istarts_with(scope, s + "/");
                 bool below = boost::istarts_with(s, scope + "/");
                 // Assignments at this scope and above it; below it too unless atScope().
                 if (!above && (at_scope || !below)) continue;
                 if (!principal.empty() &&
                     !boost::iequals(std::string(p.at("principalId").as_string()), principal)) {
                   continue;
                 }
                 value.push_back(ra);
               }
               return Ok(http::Status::ok, json::object{{"value", std::move(value)}});
             });
}

}  // namespace

std::string NormalizeArmPath(std::string_view path) {
  static constexpr std::string_view kCanonical[] = {"subscriptions",
                                                    "resourceGroups",
                                                    "providers",
                                                    "roleAssignments",
                                                    "roleDefinitions",
                                                    "policyAssignments",
                                                    "policyDefinitions",
                                                    "aliases",
                                                    "acceptOwnershipStatus",
                                                    "register",
                                                    "Microsoft.Authorization",
                                                    "Microsoft.Subscription",
                                                    "Microsoft.Resources"};
  std::string out;
  for (std::string_view segment : http::SplitPath(path)) {
    out += '/';
    std::string_view canonical = segment;
    for (std::string_view c : kCanonical) {
      if (boost::iequals(c, segment)) canonical = c;
    }
    out += canonical;
  }
  return out.empty() ? "/" : out;
}

http::Response ArmError(http::Status status, std::string_view code, std::string_view message) {
  auto res = http::JsonResponse(
      status, json::object{{"error", json::object{{"code", code}, {"message", message}}}});
  res.set(http::beast_http::field::content_type, "application/json; charset=utf-8");
  return res;
}

void AddArmRoutes(http::Router& router, State& state) {
  const std::string sub = "/arm/subscriptions/{sub}";

  router.Add(http::Verb::get, sub, [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    if (auto err = Check(state, ctx, ctx.params["sub"])) return std::move(*err);
    return Ok(http::Status::ok, SubscriptionJson(*state.FindAzureSubscription(ctx.params["sub"])));
  });
  // The subscriptions the caller's tenant can see: its own (the partner's tenant: every one,
  // as the CSP partner administers its customers' subscriptions).
  router.Add(http::Verb::get, "/arm/subscriptions", [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    if (auto err = Check(state, ctx, "")) return std::move(*err);
    std::string tenant = state.Bearer(ctx.request)->tenant_id;
    json::array value;
    for (const auto& s : state.azure_subscriptions) {
      if (tenant == kPartnerTenantId || boost::iequals(s.tenant_id, tenant)) {
        value.push_back(SubscriptionJson(s));
      }
    }
    return Ok(http::Status::ok, json::object{{"value", std::move(value)}});
  });

  // Providers: POST register answers Registering; GET shows Registering for two more polls.
  auto provider_state = [](AzureSubscription& s, const std::string& ns) -> std::string {
    auto it = s.providers.find(ns);
    if (it == s.providers.end()) return "NotRegistered";
    if (it->second == "Registering" && --s.registering[ns] <= 0) it->second = "Registered";
    return it->second;
  };
  router.Add(http::Verb::get, sub + "/providers",
             [&state, provider_state](http::RequestContext& ctx) {
               std::lock_guard lock(state.mu);
               if (auto err = Check(state, ctx, ctx.params["sub"])) return std::move(*err);
               AzureSubscription& s = *state.FindAzureSubscription(ctx.params["sub"]);
               json::array value;
               std::vector<std::string> names;
               for (const auto& [ns, st] : s.providers) names.push_back(ns);
               for (const auto& ns : names) {
                 value.push_back(ProviderJson(s.subscription_id, ns, provider_state(s, ns)));
               }
               return Ok(http::Status::ok, json::object{{"value", std::move(value)}});
             });
  router.Add(http::Verb::get, sub + "/providers/{ns}",
             [&state, provider_state](http::RequestContext& ctx) {
               std::lock_guard lock(state.mu);
               if (auto err = Check(state, ctx, ctx.params["sub"])) return std::move(*err);
               AzureSubscription& s = *state.FindAzureSubscription(ctx.params["sub"]);
               for (auto& [ns, st] : s.providers) {
                 if (boost::iequals(ns, ctx.params["ns"])) {
                   return Ok(http::Status::ok,
                             ProviderJson(s.subscription_id, ns, provider_state(s, ns)));
                 }
               }
               return ArmError(http::Status::not_found, "InvalidResourceNamespace",
                               "The resource namespace '" + ctx.params["ns"] + "' is invalid.");
             });
  router.Add(http::Verb::post, sub + "/providers/{ns}/register",
             [&state](http::RequestContext& ctx) {
               std::lock_guard lock(state.mu);
               if (auto err = Check(state, ctx, ctx.params["sub"])) return std::move(*err);
               AzureSubscription& s = *state.FindAzureSubscription(ctx.params["sub"]);
               for (auto& [ns, st] : s.providers) {
                 if (boost::iequals(ns, ctx.params["ns"])) {
                   if (st != "Registered") {
                     st = "Registering";
                     s.registering[ns] = 2;
                   }
                   return Ok(http::Status::ok, ProviderJson(s.subscription_id, ns, st));
                 }
               }
               return ArmError(http::Status::not_found, "InvalidResourceNamespace",
                               "The resource namespace '" + ctx.params["ns"] + "' is invalid.");
             });

  // Role definitions: built-ins by id (tenant or subscription form), custom roles PUT / GET.
  auto get_role = [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    if (auto err = Check(state, ctx, "")) return std::move(*err);
    std::string prefix = ctx.params.count("sub") ? "/subscriptions/" + ctx.params["sub"] : "";
    if (const BuiltInRole* r = FindBuiltInRole(ctx.params["id"])) {
      return Ok(http::Status::ok, BuiltInRoleJson(*r, prefix));
    }
    for (const auto& [id, rd] : state.role_definitions) {
      if (boost::iequals(LastSegment(id), ctx.params["id"])) return Ok(http::Status::ok, rd);
    }
    return ArmError(
        http::Status::not_found, "RoleDefinitionDoesNotExist",
        "The specified role definition with ID '" + ctx.params["id"] + "' does not exist.");
  };
  router.Add(http::Verb::get, "/arm/providers/Microsoft.Authorization/roleDefinitions/{id}",
             get_role);
  router.Add(http::Verb::get, sub + std::string(kAuth) + "/roleDefinitions/{id}", get_role);
  router.Add(
      http::Verb::put, sub + std::string(kAuth) + "/roleDefinitions/{id}",
      [&state](http::RequestContext& ctx) {
        std::lock_guard lock(state.mu);
        if (auto err = Check(state, ctx, "")) return std::move(*err);
        if (FindBuiltInRole(ctx.params["id"])) {
          return ArmError(http::Status::bad_request, "RoleDefinitionUpdateNotPermitted",
                          "Built-in role definitions cannot be updated.");
        }
        auto body = Body(ctx);
        if (!body.ok())
          return ArmError(http::Status::bad_request, "InvalidRequestContent", body.error().message);
        auto* props = body->if_contains("properties");
        if (!props || !props->is_object() || StringCi(props->as_object(), "roleName").empty()) {
          return ArmError(http::Status::bad_request, "InvalidRoleDefinition",
                          "The role definition must have properties.roleName, permissions and "
                          "assignableScopes.");
        }
        json::object p = props->as_object();
        p["type"] = "CustomRole";
        std::string id = "/subscriptions/" + ctx.params["sub"] + std::string(kAuth) +
                         "/roleDefinitions/" + ctx.params["id"];
        json::object rd{{"properties", p},
                        {"id", id},
                        {"type", "Microsoft.Authorization/roleDefinitions"},
                        {"name", ctx.params["id"]}};
        bool existed = state.role_definitions.count(id) > 0;
        state.role_definitions[id] = rd;
        return Ok(existed ? http::Status::ok : http::Status::created, rd);
      });

  // DELETE of a custom role: 200 with the deleted definition, 204 when there is none (as
  // another principal of the tenant may do in Azure).
  router.Add(http::Verb::delete_, sub + std::string(kAuth) + "/roleDefinitions/{id}",
             [&state](http::RequestContext& ctx) {
               std::lock_guard lock(state.mu);
               if (auto err = Check(state, ctx, ctx.params["sub"])) return std::move(*err);
               if (FindBuiltInRole(ctx.params["id"])) {
                 return ArmError(http::Status::bad_request, "RoleDefinitionUpdateNotPermitted",
                                 "Built-in role definitions cannot be deleted.");
               }
               std::string id = "/subscriptions/" + ctx.params["sub"] + std::string(kAuth) +
                                "/roleDefinitions/" + ctx.params["id"];
               for (auto it = state.role_definitions.begin(); it != state.role_definitions.end();
                    ++it) {
                 if (boost::iequals(it->first, id)) {
                   json::object rd = it->second;
                   state.role_definitions.erase(it);
                   return Ok(http::Status::ok, rd);
                 }
               }
               return http::Response{http::Status::no_content, 11};
             });

  // Role definitions list: built-ins and this subscription's custom roles, with
  // $filter=roleName eq '{name}' or type eq 'BuiltInRole' | 'CustomRole'.
  auto list_roles = [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    std::string sub_id = ctx.params.count("sub") ? ctx.params["sub"] : "";
    if (auto err = Check(state, ctx, sub_id)) return std::move(*err);
    std::string prefix = sub_id.empty() ? "" : "/subscriptions/" + sub_id;
    std::string filter = ctx.query["$filter"];
    std::optional<std::string> role_name, type;
    if (!filter.empty()) {
      role_name = Quoted(filter, "roleName eq '", "'");
      type = Quoted(filter, "type eq '", "'");
      if (!role_name && !type) {
        return ArmError(http::Status::bad_request, "UnsupportedQuery",
                        "The filter '" + filter +
                            "' is not supported. Supported filters are 'roleName eq "
                            "'{value}'' and 'type eq 'BuiltInRole|CustomRole''.");
      }
    }
    json::array value;
    auto add = [&](const json::object& rd) {
      const auto& p = rd.at("properties").as_object();
      if (role_name && !boost::iequals(std::string(p.at("roleName").as_string()), *role_name)) {
        return;
      }
      if (type && !boost::iequals(std::string(p.at("type").as_string()), *type)) return;
      value.push_back(rd);
    };
    for (const auto& r : kBuiltInRoles) add(BuiltInRoleJson(r, prefix));
    for (const auto& [id, rd] : state.role_definitions) {
      if (prefix.empty() || boost::istarts_with(id, prefix + "/")) add(rd);
    }
    return Ok(http::Status::ok, json::object{{"value", std::move(value)}});
  };
  router.Add(http::Verb::get, "/arm/providers/Microsoft.Authorization/roleDefinitions", list_roles);
  router.Add(http::Verb::get, sub + std::string(kAuth) + "/roleDefinitions", list_roles);
  router.Add(http::Verb::get,
             sub + "/resourceGroups/{rg}" + std::string(kAuth) + "/roleDefinitions", list_roles);

  RoleAssignmentRoutes(router, state, sub);
  RoleAssignmentRoutes(router, state, sub + "/resourceGroups/{rg}");

  // Policy assignments at subscription scope.
  std::string pa_item = sub + std::string(kAuth) + "/policyAssignments/{name}";
  router.Add(http::Verb::put, pa_item, [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    if (auto err = Check(state, ctx, ctx.params["sub"])) return std::move(*err);
    auto body = Body(ctx);
    if (!body.ok())
      return ArmError(http::Status::bad_request, "InvalidRequestContent", body.error().message);
    auto* props = body->if_contains("properties");
    if (!props || !props->is_object() ||
        StringCi(props->as_object(), "policyDefinitionId").empty()) {
      return ArmError(http::Status::bad_request, "InvalidRequestContent",
                      "properties.policyDefinitionId is required.");
    }
    std::string name = ctx.params["name"];
    if (name.find_first_of("<>*%&:?.+/") != std::string::npos) {
      return ArmError(http::Status::bad_request, "InvalidPolicyAssignmentName",
                      "The policy assignment name '" + name + "' contains invalid characters.");
    }
    std::string def_id = StringCi(props->as_object(), "policyDefinitionId");
    if (boost::istarts_with(def_id, "/providers/Microsoft.Authorization/policyDefinitions/") &&
        BuiltInPolicy(LastSegment(def_id)).empty()) {
      return ArmError(http::Status::not_found, "PolicyDefinitionNotFound",
                      "The policy definition '" + LastSegment(def_id) + "' could not be found.");
    }
    std::string scope = "/subscriptions/" + ctx.params["sub"];
    json::object p = props->as_object();
    if (!p.contains("definitionVersion")) p["definitionVersion"] = "1.*.*";
    if (!p.contains("notScopes")) p["notScopes"] = json::array{};
    if (!p.contains("parameters")) p["parameters"] = json::object{};
    if (!p.contains("enforcementMode")) p["enforcementMode"] = "Default";
    p["scope"] = scope;
    p["policyDefinitionId"] = NormalizeArmPath(def_id);
    std::string id = scope + std::string(kAuth) + "/policyAssignments/" + name;
    std::string now = Iso(state.Now());
    std::string created_at = now;
    if (auto it = state.policy_assignments.find(id); it != state.policy_assignments.end()) {
      if (auto* sd = it->second.if_contains("systemData"); sd && sd->is_object()) {
        created_at = StringCi(sd->as_object(), "createdAt");
      }
    }
    json::object pa{{"properties", p},
                    {"id", id},
                    {"type", "Microsoft.Authorization/policyAssignments"},
                    {"name", name},
                    {"location", body->contains("location") ? body->at("location") : nullptr},
                    {"systemData", SystemData(Caller(), created_at, Caller(), now)}};
    bool existed = state.policy_assignments.count(id) > 0;
    state.policy_assignments[id] = pa;
    return Ok(existed ? http::Status::ok : http::Status::created, pa);
  });
  // Policy assignments list: those that apply to the subscription; $filter=atScope() (at it or
  // above), atExactScope(), policyDefinitionId eq '{id}'.
  router.Add(
      http::Verb::get, sub + std::string(kAuth) + "/policyAssignments",
      [&state](http::RequestContext& ctx) {
        std::lock_guard lock(state.mu);
        if (auto err = Check(state, ctx, ctx.params["sub"])) return std::move(*err);
        std::string scope = "/subscriptions/" + ctx.params["sub"];
        std::string filter = ctx.query["$filter"];
        std::optional<std::string> definition;
        bool exact = false;
        if (!filter.empty() && !boost::iequals(filter, "atScope()")) {
          exact = boost::iequals(filter, "atExactScope()");
          definition = Quoted(filter, "policyDefinitionId eq '", "'");
          if (!exact && !definition) {
            return ArmError(http::Status::bad_request, "InvalidFilterInQueryString",
                            "The filter '" + filter +
                                "' is not supported. Supported filters are atScope(), "
                                "atExactScope() and policyDefinitionId eq '{value}'.");
          }
        }
        json::array value;
        for (const auto& [id, pa] : state.policy_assignments) {
          const auto& p = pa.at("properties").as_object();
          std::string s(p.at("scope").as_string());
          if (exact ? !boost::iequals(s, scope)
                    : !(boost::iequals(s, scope) || boost::istarts_with(scope, s + "/"))) {
            continue;
          }
          if (definition && !boost::iequals(std::string(p.at("policyDefinitionId").as_string()),
                                            NormalizeArmPath(*definition))) {
            continue;
          }
          value.push_back(pa);
        }
        return Ok(http::Status::ok, json::object{{"value", std::move(value)}});
      });
  router.Add(http::Verb::get, pa_item, [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    if (auto err = Check(state, ctx, ctx.params["sub"])) return std::move(*err);
    std::string id = "/subscriptions/" + ctx.params["sub"] + std::string(kAuth) +
                     "/policyAssignments/" + ctx.params["name"];
    if (auto it = state.policy_assignments.find(id); it != state.policy_assignments.end()) {
      return Ok(http::Status::ok, it->second);
    }
    return ArmError(http::Status::not_found, "PolicyAssignmentNotFound",
                    "The policy assignment '" + ctx.params["name"] + "' is not found.");
  });
  router.Add(http::Verb::delete_, pa_item, [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    if (auto err = Check(state, ctx, ctx.params["sub"])) return std::move(*err);
    std::string id = "/subscriptions/" + ctx.params["sub"] + std::string(kAuth) +
                     "/policyAssignments/" + ctx.params["name"];
    if (auto it = state.policy_assignments.find(id); it != state.policy_assignments.end()) {
      json::object pa = it->second;
      state.policy_assignments.erase(it);
      return Ok(http::Status::ok, pa);
    }
    return http::Response{http::Status::no_content, 11};
  });
  router.Add(http::Verb::get, "/arm/providers/Microsoft.Authorization/policyDefinitions/{id}",
             [&state](http::RequestContext& ctx) {
               std::lock_guard lock(state.mu);
               if (auto err = Check(state, ctx, "")) return std::move(*err);
               json::object def = BuiltInPolicy(ctx.params["id"]);
               if (def.empty()) {
                 return ArmError(
                     http::Status::not_found, "PolicyDefinitionNotFound",
                     "The policy definition '" + ctx.params["id"] + "' could not be found.");
               }
               return Ok(http::Status::ok, def);
             });

  // Generic resource PUT, with policy enforcement.
  auto put_resource = [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    if (auto err = Check(state, ctx, ctx.params["sub"])) return std::move(*err);
    auto body = Body(ctx);
    if (!body.ok())
      return ArmError(http::Status::bad_request, "InvalidRequestContent", body.error().message);
    std::string type = ctx.params["ns"] + "/" + ctx.params["type"];
    std::string name = ctx.params["name"];
    if (ctx.params.count("child")) {
      type += "/" + ctx.params["child"];
      name += "/" + ctx.params["childName"];
    }
    std::string id = ctx.path.substr(4);  // without "/arm"
    if (const json::object* pa = Denying(state, ctx.params["sub"], ctx.params["rg"], type)) {
      const auto& props = pa->at("properties").as_object();
      std::string pa_name(pa->at("name").as_string());
      std::string def_id(props.at("policyDefinitionId").as_string());
      auto res = http::JsonResponse(
          http::Status::forbidden,
          json::object{
              {"error",
               json::object{{"code", "RequestDisallowedByPolicy"},
                            {"target", name},
                            {"message",
                             "Resource '" + name +
                                 "' was disallowed by policy. Policy "
                                 "identifiers: '[{\"policyAssignment\":{\"name\":\"" +
                                 pa_name + "\",\"id\":\"" + std::string(pa->at("id").as_string()) +
                                 "\"},\"policyDefinition\":{\"name\":\"" + LastSegment(def_id) +
                                 "\",\"id\":\"" + def_id + "\"}}]'."},
                            {"additionalInfo",
                             json::array{json::object{
                                 {"type", "PolicyViolation"},
                                 {"info", json::object{{"policyDefinitionId", def_id},
                                                       {"policyAssignmentId", pa->at("id")},
                                                       {"policyAssignmentName", pa_name}}}}}}}}});
      return res;
    }
    json::object resource = *body;
    resource["id"] = id;
    resource["name"] = name;
    resource["type"] = type;
    json::object props;
    if (auto* p = body->if_contains("properties"); p && p->is_object()) props = p->as_object();
    props["provisioningState"] = "Succeeded";
    resource["properties"] = props;
    std::string now = Iso(state.Now());
    std::string created_at = now;
    if (auto it = state.resources.find(id); it != state.resources.end()) {
      if (auto* sd = it->second.if_contains("systemData"); sd && sd->is_object()) {
        created_at = StringCi(sd->as_object(), "createdAt");
      }
    }
    resource["systemData"] = SystemData(Caller(), created_at, Caller(), now);
    bool existed = state.resources.count(id) > 0;
    state.resources[id] = resource;
    return Ok(existed ? http::Status::ok : http::Status::created, resource);
  };
  // Generic resource GET and DELETE (by path, which is also the id arm-resources' getById uses).
  auto find_resource = [&state](http::RequestContext& ctx) -> std::string {
    std::string id = ctx.path.substr(4);  // without "/arm"
    for (const auto& [k, r] : state.resources) {
      if (boost::iequals(k, id)) return k;
    }
    return "";
  };
  auto not_found = [](http::RequestContext& ctx) {
    std::string type = ctx.params["ns"] + "/" + ctx.params["type"];
    std::string name = ctx.params["name"];
    if (ctx.params.count("child")) {
      type += "/" + ctx.params["child"];
      name += "/" + ctx.params["childName"];
    }
    return ArmError(http::Status::not_found, "ResourceNotFound",
                    "The Resource '" + type + "/" + name + "' under resource group '" +
                        ctx.params["rg"] +
                        "' was not found. For more details please go to "
                        "https://aka.ms/ARMResourceNotFoundFix");
  };
  auto get_resource = [&state, find_resource, not_found](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    if (auto err = Check(state, ctx, ctx.params["sub"])) return std::move(*err);
    std::string id = find_resource(ctx);
    if (id.empty()) return not_found(ctx);
    return Ok(http::Status::ok, state.resources.at(id));
  };
  auto delete_resource = [&state, find_resource](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    if (auto err = Check(state, ctx, ctx.params["sub"])) return std::move(*err);
    std::string id = find_resource(ctx);
    if (id.empty()) return http::Response{http::Status::no_content, 11};
    state.resources.erase(id);
    return http::Response{http::Status::ok, 11};
  };
  for (const char* pattern : {"/resourceGroups/{rg}/providers/{ns}/{type}/{name}",
                              "/resourceGroups/{rg}/providers/{ns}/{type}/{name}/{child}/"
                              "{childName}"}) {
    router.Add(http::Verb::get, sub + pattern, get_resource);
    router.Add(http::Verb::delete_, sub + pattern, delete_resource);
  }
  router.Add(http::Verb::put, sub + "/resourceGroups/{rg}/providers/{ns}/{type}/{name}",
             put_resource);
  router.Add(http::Verb::put,
             sub + "/resourceGroups/{rg}/providers/{ns}/{type}/{name}/{child}/{childName}",
             put_resource);

  // Resources of a subscription (Resources_List, api-version 2021-04-01): every resource put
  // under it, with $filter=resourceType eq '{type}'.
  router.Add(http::Verb::get, sub + "/resources", [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    if (auto err = Check(state, ctx, ctx.params["sub"])) return std::move(*err);
    std::string prefix = "/subscriptions/" + ctx.params["sub"] + "/";
    std::optional<std::string> type;
    if (std::string filter = ctx.query["$filter"]; !filter.empty()) {
      type = Quoted(filter, "resourceType eq '", "'");
      if (!type) {
        return ArmError(http::Status::bad_request, "InvalidFilterInQueryString",
                        "The filter '" + filter +
                            "' is not supported. Supported filter: resourceType eq '{value}'.");
      }
    }
    json::array value;
    for (const auto& [id, r] : state.resources) {
      if (!boost::istarts_with(id, prefix)) continue;
      std::string rtype(r.at("type").as_string());
      if (type && !boost::iequals(rtype, *type)) continue;
      json::object item{{"id", r.at("id")}, {"name", r.at("name")}, {"type", rtype}};
      if (auto* l = r.if_contains("location")) item["location"] = *l;
      if (auto* t = r.if_contains("tags")) item["tags"] = *t;
      value.push_back(std::move(item));
    }
    return Ok(http::Status::ok, json::object{{"value", std::move(value)}});
  });

  // Microsoft.Subscription aliases: PUT creates an Azure subscription (Accepted), GET polls.
  const std::string alias = "/arm/providers/Microsoft.Subscription/aliases/{alias}";
  router.Add(http::Verb::put, alias, [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    if (auto err = Check(state, ctx, "")) return std::move(*err);
    std::string name = ctx.params["alias"];
    if (auto it = state.aliases.find(name); it != state.aliases.end()) {
      return Ok(http::Status::ok, it->second);
    }
    auto body = Body(ctx);
    if (!body.ok())
      return ArmError(http::Status::bad_request, "InvalidRequestContent", body.error().message);
    auto* props = body->if_contains("properties");
    if (!props || !props->is_object()) {
      return ArmError(http::Status::bad_request, "InvalidRequestContent",
                      "properties is required.");
    }
    const auto& p = props->as_object();
    std::string scope = StringCi(p, "billingScope");
    std::string display = StringCi(p, "displayName");
    std::string workload = StringCi(p, "workload");
    if (scope.empty() || display.empty()) {
      return ArmError(http::Status::bad_request, "InvalidBillingScope",
                      "properties.billingScope and properties.displayName are required.");
    }
    std::string tenant;
    json::value owner = nullptr, management_group = nullptr, tags = json::object{};
    if (auto* extra = FindCi(p, "additionalProperties"); extra && extra->is_object()) {
      const auto& e = extra->as_object();
      tenant = StringCi(e, "subscriptionTenantId");
      if (auto* v = FindCi(e, "subscriptionOwnerId"); v && v->is_string()) owner = *v;
      if (auto* v = FindCi(e, "managementGroupId"); v && v->is_string()) management_group = *v;
      if (auto* v = FindCi(e, "tags"); v && v->is_object()) tags = *v;
    }
    size_t c = boost::to_lower_copy(scope).find("/customers/");
    if (c != std::string::npos) {
      std::string customer = scope.substr(c + 11);
      customer = customer.substr(0, customer.find('/'));
      if (!state.FindCustomer(customer)) {
        return ArmError(http::Status::bad_request, "InvalidBillingScope",
                        "The billing scope " + scope + " names no customer of this partner.");
      }
      tenant = customer;
    }
    if (tenant.empty()) tenant = std::string(kPartnerTenantId);
    std::string sub_id = state.ids.Guid();
    state.AddAzureSubscription(sub_id, tenant, display);
    json::object out{
        {"id", "/providers/Microsoft.Subscription/aliases/" + name},
        {"name", name},
        {"type", "Microsoft.Subscription/aliases"},
        {"properties", json::object{{"subscriptionId", sub_id},
                                    {"displayName", display},
                                    {"provisioningState", "Accepted"},
                                    {"acceptOwnershipUrl", "/providers/Microsoft.Subscription/" +
                                                               sub_id + "/acceptOwnership"},
                                    {"acceptOwnershipState", "Pending"},
                                    {"billingScope", scope},
                                    {"workload", workload.empty() ? "Production" : workload},
                                    {"resellerId", nullptr},
                                    {"subscriptionOwnerId", owner},
                                    {"managementGroupId", management_group},
                                    {"createdTime", Iso(state.Now())},
                                    {"tags", tags}}}};
    state.aliases[name] = out;
    return Ok(http::Status::created, out);
  });
  router.Add(http::Verb::get, "/arm/providers/Microsoft.Subscription/aliases",
             [&state](http::RequestContext& ctx) {
               std::lock_guard lock(state.mu);
               if (auto err = Check(state, ctx, "")) return std::move(*err);
               json::array value;
               for (const auto& [name, a] : state.aliases) value.push_back(a);
               return Ok(http::Status::ok, json::object{{"value", std::move(value)}});
             });
  router.Add(
      http::Verb::get,
      "/arm/providers/Microsoft.Subscription/subscriptions/{sub}/acceptOwnershipStatus",
      [&state](http::RequestContext& ctx) {
        std::lock_guard lock(state.mu);
        if (auto err = Check(state, ctx, ctx.params["sub"])) return std::move(*err);
        const AzureSubscription& s = *state.FindAzureSubscription(ctx.params["sub"]);
        std::string accept = "Completed", provisioning = "Succeeded";
        json::value tags = json::object{};
        for (const auto& [name, a] : state.aliases) {
          const auto& p = a.at("properties").as_object();
          if (boost::iequals(std::string(p.at("subscriptionId").as_string()), s.subscription_id)) {
            accept = std::string(p.at("acceptOwnershipState").as_string());
            provisioning = std::string(p.at("provisioningState").as_string());
            tags = p.at("tags");
          }
        }
        return Ok(http::Status::ok, json::object{{"subscriptionId", s.subscription_id},
                                                 {"acceptOwnershipState", accept},
                                                 {"provisioningState", provisioning},
                                                 {"billingOwner", ""},
                                                 {"subscriptionTenantId", s.tenant_id},
                                                 {"displayName", s.display_name},
                                                 {"tags", tags}});
      });
  router.Add(http::Verb::get, alias, [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    if (auto err = Check(state, ctx, "")) return std::move(*err);
    auto it = state.aliases.find(ctx.params["alias"]);
    if (it == state.aliases.end()) {
      return ArmError(http::Status::not_found, "ResourceNotFound",
                      "The alias '" + ctx.params["alias"] + "' was not found.");
    }
    json::object out = it->second;
    auto& props = it->second["properties"].as_object();
    props["provisioningState"] = "Succeeded";
    props["acceptOwnershipState"] = "Completed";
    return Ok(http::Status::ok, out);
  });
}

}  // namespace pc::sandbox
