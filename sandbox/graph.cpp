// Microsoft Graph under /graph/v1.0, in the tenant of the caller's token: users (create, get by
// id or userPrincipalName, list, delete) and service principals (those application consents
// created, or POSTed: get by id or appId, list), with OData $filter (eq, startswith, and),
// $select, $top and @odata.nextLink paging by $skiptoken.
#include <boost/algorithm/string/case_conv.hpp>
#include <boost/algorithm/string/predicate.hpp>
#include <boost/algorithm/string/split.hpp>
#include <boost/algorithm/string/trim.hpp>
#include <cctype>
#include <charconv>

#include "core/random.h"
#include "core/uuid.h"
#include "sandbox/services.h"

namespace pc::sandbox {

namespace {

constexpr std::string_view kMetadata = "https://graph.microsoft.com/v1.0/$metadata#";

// A v4-shaped GUID from a hash: deterministic object ids.
std::string HashGuid(const std::string& text) {
  std::string h = Sha256Hex(text).substr(0, 32);
  h[12] = '4';
  h[16] = "89ab"[h[16] % 4];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

// The wire form: the stored object without the sandbox's "tenantId" bookkeeping.
json::object Wire(const json::object& stored) {
  json::object out = stored;
  out.erase("tenantId");
  return out;
}

// A user as Graph returns it by default (accountEnabled only when selected).
json::object UserWire(const json::object& stored) {
  json::object out = Wire(stored);
  out.erase("@odata.context");
  out.erase("accountEnabled");
  out.erase("mailNickname");
  return out;
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '$' || c == '(' ||
        c == ')' || c == ',') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// One OData clause Graph supports on these collections: prop eq 'v' or startswith(prop,'v').
struct Clause {
  std::string property, value;
  bool starts_with = false;
};

// Parses $filter ("a eq 'x' and startswith(b,'y')"). Errors: the message for a 400.
Result<std::vector<Clause>> ParseFilter(const std::string& filter, const json::object& sample,
                                        std::string_view resource) {
  std::vector<Clause> out;
  std::string lower = boost::to_lower_copy(filter);
  size_t start = 0;
  for (;;) {
    size_t at = lower.find(" and ", start);
    std::string part =
        filter.substr(start, at == std::string::npos ? std::string::npos : at - start);
    boost::trim(part);
    Clause c;
    if (boost::istarts_with(part, "startswith(") && part.ends_with("')")) {
      size_t comma = part.find(',');
      if (comma == std::string::npos) return InvalidArgument("Invalid filter clause: " + part);
      c.property = boost::trim_copy(part.substr(11, comma - 11));
      std::string v = boost::trim_copy(part.substr(comma + 1, part.size() - comma - 2));
      if (v.size() < 2 || v.front() != '\'')
        return InvalidArgument("Invalid filter clause: " + part);
      c.value = v.substr(1, v.size() - 2);
      c.starts_with = true;
    } else {
      size_t eq = boost::to_lower_copy(part).find(" eq '");
      if (eq == std::string::npos || !part.ends_with("'")) {
        return InvalidArgument("Invalid filter clause: the filter '" + part +
                               "' is not a supported expression (prop eq 'value', "
                               "startswith(prop,'value'), joined by and)");
      }
      c.property = boost::trim_copy(part.substr(0, eq));
      c.value = part.substr(eq + 5, part.size() - eq - 6);
    }
    if (!FindCi(sample, c.property) && !boost::iequals(c.property, "id")) {
      return FailedPrecondition(
          "Unsupported or invalid query filter clause specified for "
          "property '" +
          c.property + "' of resource '" + std::string(resource) + "'.");
    }
    out.push_back(std::move(c));
    if (at == std::string::npos) break;
    start = at + 5;
  }
  return out;
}

bool Matches(const json::object& o, const std::vector<Clause>& clauses) {
  for (const auto& c : clauses) {
    const json::value* v = FindCi(o, c.property);
    if (!v || !v->is_string()) return false;
    std::string text(v->as_string());
    if (c.starts_with ? !boost::istarts_with(text, c.value) : !boost::iequals(text, c.value)) {
      return false;
    }
  }
  return true;
}

// A collection page as Graph answers GET /users and /servicePrincipals: $filter, $select,
// $top (1..999) and $skiptoken, with @odata.nextLink when more remain.
http::Response Collection(http::RequestContext& ctx, const std::vector<json::object>& items,
                          std::string_view name, std::string_view resource,
                          const json::object& sample, json::object (*wire)(const json::object&)) {
  std::vector<Clause> clauses;
  if (std::string filter = ctx.query["$filter"]; !filter.empty()) {
    auto parsed = ParseFilter(filter, sample, resource);
    if (!parsed.ok()) {
      bool unsupported = parsed.error().code == ErrorCode::kFailedPrecondition;
      return GraphError(http::Status::bad_request,
                        unsupported ? "Request_UnsupportedQuery" : "BadRequest",
                        parsed.error().message);
    }
    clauses = std::move(parsed).value();
  }
  std::vector<std::string> select;
  if (std::string sel = ctx.query["$select"]; !sel.empty()) {
    boost::split(select, sel, [](char c) { return c == ','; });
    for (auto& f : select) boost::trim(f);
  }
  size_t top = 100, skip = 0;
  if (std::string t = ctx.query["$top"]; !t.empty()) {
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), top);
    if (ec != std::errc() || end != t.data() + t.size() || top < 1 || top > 999) {
      return GraphError(http::Status::bad_request, "Request_BadRequest",
                        "Invalid page size specified: '" + t +
                            "'. Must be between 1 and 999 "
                            "inclusive.");
    }
  }
  if (std::string token = ctx.query["$skiptoken"]; !token.empty()) {
    auto [end, ec] = std::from_chars(token.data() + 1, token.data() + token.size(), skip);
    if (token[0] != 'X' || ec != std::errc() || end != token.data() + token.size()) {
      return GraphError(http::Status::bad_request, "Request_BadRequest",
                        "Invalid $skiptoken: use the @odata.nextLink of the previous page.");
    }
  }
  json::array value;
  size_t matched = 0;
  bool more = false;
  for (const auto& item : items) {
    if (!Matches(item, clauses)) continue;
    if (matched++ < skip) continue;
    if (value.size() == top) {
      more = true;
      break;
    }
    json::object out = wire(item);
    if (!select.empty()) {
      json::object picked;
      for (const auto& f : select) {
        if (const json::value* v = FindCi(item, f)) picked[f] = *v;
      }
      out = std::move(picked);
    }
    value.push_back(std::move(out));
  }
  json::object body{{"@odata.context", std::string(kMetadata) + std::string(name)}};
  if (more) {
    std::string link = BaseUrl(ctx.request) + "/graph/v1.0/" + std::string(name) +
                       "?$top=" + std::to_string(top) + "&$skiptoken=X" +
                       std::to_string(skip + top);
    for (const char* q : {"$filter", "$select"}) {
      if (!ctx.query[q].empty()) link += "&" + std::string(q) + "=" + PercentEncode(ctx.query[q]);
    }
    body["@odata.nextLink"] = link;
  }
  body["value"] = std::move(value);
  return http::JsonResponse(http::Status::ok, body);
}

// The stored user of `tenant` whose id or userPrincipalName is `key`, or null.
json::object* FindUser(State& state, const std::string& tenant, const std::string& key) {
  for (auto& u : state.users) {
    if (u.at("tenantId").as_string() != tenant) continue;
    if (boost::iequals(std::string(u.at("id").as_string()), key) ||
        boost::iequals(std::string(u.at("userPrincipalName").as_string()), key)) {
      return &u;
    }
  }
  return nullptr;
}

http::Response NotFound(const std::string& key) {
  return GraphError(http::Status::not_found, "Request_ResourceNotFound",
                    "Resource '" + key +
                        "' does not exist or one of its queried reference-property objects are "
                        "not present.");
}

std::optional<http::Response> RequireToken(State& state, const http::Request& req,
                                           std::string& tenant) {
  auto token = state.Bearer(req);
  if (!token) {
    return GraphError(http::Status::unauthorized, "InvalidAuthenticationToken",
                      "Access token is empty or has expired.");
  }
  tenant = token->tenant_id;
  return std::nullopt;
}

}  // namespace

const json::object& AddServicePrincipal(State& state, const std::string& tenant_id,
                                        const std::string& app_id,
                                        const std::string& display_name) {
  for (const auto& sp : state.service_principals) {
    if (sp.at("tenantId").as_string() == tenant_id &&
        boost::iequals(std::string(sp.at("appId").as_string()), app_id)) {
      return sp;
    }
  }
  std::string app = boost::to_lower_copy(app_id);
  std::string name = display_name.empty() ? app : display_name;
  state.service_principals.push_back(json::object{
      {"id",
       HashGuid("servicePrincipal|" + std::to_string(state.seed) + "|" + tenant_id + "|" + app)},
      {"deletedDateTime", nullptr},
      {"accountEnabled", true},
      {"appDisplayName", name},
      {"appId", app},
      {"appOwnerOrganizationId", kPartnerTenantId},
      {"displayName", name},
      {"servicePrincipalNames", json::array{app}},
      {"servicePrincipalType", "Application"},
      {"signInAudience", "AzureADMultipleOrgs"},
      {"tags", json::array{}},
      {"tenantId", tenant_id}});
  return state.service_principals.back();
}

void RemoveServicePrincipal(State& state, const std::string& tenant_id, const std::string& app_id) {
  std::erase_if(state.service_principals, [&](const json::object& sp) {
    return sp.at("tenantId").as_string() == tenant_id &&
           boost::iequals(std::string(sp.at("appId").as_string()), app_id);
  });
}

http::Response GraphError(http::Status status, std::string_view code, std::string_view message) {
  std::string date = FormatTimestamp(Now()).substr(0, 19);
  std::string id = Uuid::V4().ToString();
  json::object inner{{"date", date}, {"request-id", id}, {"client-request-id", id}};
  return http::JsonResponse(
      status, json::object{{"error", json::object{{"code", code},
                                                  {"message", message},
                                                  {"innerError", std::move(inner)}}}});
}

void AddGraphRoutes(http::Router& router, State& state) {
  // GET /servicePrincipals ($filter appId eq '{appId}', displayName, ...; $select, $top).
  router.Add(http::Verb::get, "/graph/v1.0/servicePrincipals", [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    std::string tenant;
    if (auto denied = RequireToken(state, ctx.request, tenant)) return std::move(*denied);
    std::vector<json::object> mine;
    for (const auto& sp : state.service_principals) {
      if (sp.at("tenantId").as_string() == tenant) mine.push_back(sp);
    }
    static const json::object kSample{
        {"appId", ""}, {"displayName", ""}, {"servicePrincipalType", ""}, {"appDisplayName", ""}};
    return Collection(ctx, mine, "servicePrincipals", "ServicePrincipal", kSample, Wire);
  });
  // POST /servicePrincipals {"appId": ...}: the application's service principal in the tenant.
  router.Add(
      http::Verb::post, "/graph/v1.0/servicePrincipals", [&state](http::RequestContext& ctx) {
        std::lock_guard lock(state.mu);
        std::string tenant;
        if (auto denied = RequireToken(state, ctx.request, tenant)) return std::move(*denied);
        auto body = ParseJsonObject(ctx.request.body());
        if (!body.ok())
          return GraphError(http::Status::bad_request, "BadRequest", body.error().message);
        std::string app = StringCi(*body, "appId");
        if (!Uuid::Parse(app).ok()) {
          return GraphError(http::Status::bad_request, "Request_BadRequest",
                            "Invalid value specified for property 'appId' of resource "
                            "'ServicePrincipal': a GUID is required.");
        }
        for (const auto& sp : state.service_principals) {
          if (sp.at("tenantId").as_string() == tenant &&
              boost::iequals(std::string(sp.at("appId").as_string()), app)) {
            return GraphError(http::Status::conflict, "Request_MultipleObjectsWithSameKeyValue",
                              "The service principal cannot be created, updated, or restored "
                              "because the service principal name " +
                                  app + " is already in use.");
          }
        }
        json::object out =
            Wire(AddServicePrincipal(state, tenant, app, StringCi(*body, "displayName")));
        out["@odata.context"] = std::string(kMetadata) + "servicePrincipals/$entity";
        return http::JsonResponse(http::Status::created, out);
      });
  router.Add(http::Verb::get, "/graph/v1.0/servicePrincipals/{id}",
             [&state](http::RequestContext& ctx) {
               std::lock_guard lock(state.mu);
               std::string tenant;
               if (auto denied = RequireToken(state, ctx.request, tenant)) {
                 return std::move(*denied);
               }
               for (const auto& sp : state.service_principals) {
                 if (sp.at("tenantId").as_string() == tenant &&
                     boost::iequals(std::string(sp.at("id").as_string()), ctx.params["id"])) {
                   json::object out = Wire(sp);
                   out["@odata.context"] = std::string(kMetadata) + "servicePrincipals/$entity";
                   return http::JsonResponse(http::Status::ok, out);
                 }
               }
               return NotFound(ctx.params["id"]);
             });

  // Users: list, get by id or userPrincipalName, delete.
  router.Add(http::Verb::get, "/graph/v1.0/users", [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    std::string tenant;
    if (auto denied = RequireToken(state, ctx.request, tenant)) return std::move(*denied);
    std::vector<json::object> mine;
    for (const auto& u : state.users) {
      if (u.at("tenantId").as_string() == tenant) mine.push_back(u);
    }
    static const json::object kSample{
        {"userPrincipalName", ""}, {"displayName", ""}, {"mail", ""},        {"givenName", ""},
        {"surname", ""},           {"jobTitle", ""},    {"mailNickname", ""}};
    return Collection(ctx, mine, "users", "User", kSample, UserWire);
  });
  router.Add(http::Verb::get, "/graph/v1.0/users/{id}", [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    std::string tenant;
    if (auto denied = RequireToken(state, ctx.request, tenant)) return std::move(*denied);
    json::object* u = FindUser(state, tenant, ctx.params["id"]);
    if (!u) return NotFound(ctx.params["id"]);
    json::object out = UserWire(*u);
    if (std::string sel = ctx.query["$select"]; !sel.empty()) {
      std::vector<std::string> fields;
      boost::split(fields, sel, [](char c) { return c == ','; });
      out = json::object{};
      for (auto& f : fields) {
        boost::trim(f);
        if (const json::value* v = FindCi(*u, f)) out[f] = *v;
      }
    }
    out["@odata.context"] = std::string(kMetadata) + "users/$entity";
    return http::JsonResponse(http::Status::ok, out);
  });
  router.Add(http::Verb::delete_, "/graph/v1.0/users/{id}", [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    std::string tenant;
    if (auto denied = RequireToken(state, ctx.request, tenant)) return std::move(*denied);
    json::object* u = FindUser(state, tenant, ctx.params["id"]);
    if (!u) return NotFound(ctx.params["id"]);
    std::erase_if(state.users, [&](const json::object& o) { return &o == u; });
    return http::Response{http::Status::no_content, 11};
  });
  // GET /servicePrincipals(appId='{appId}'): one segment, so the router sees a parameter.
  router.Add(http::Verb::get, "/graph/v1.0/{segment}", [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    std::string tenant;
    if (auto denied = RequireToken(state, ctx.request, tenant)) return std::move(*denied);
    const std::string& segment = ctx.params["segment"];
    const std::string prefix = "servicePrincipals(appId='";
    if (!segment.starts_with(prefix) || !segment.ends_with("')")) {
      return GraphError(http::Status::bad_request, "BadRequest",
                        "Resource not found for the segment '" + segment + "'.");
    }
    std::string app = segment.substr(prefix.size(), segment.size() - prefix.size() - 2);
    for (const auto& sp : state.service_principals) {
      if (sp.at("tenantId").as_string() == tenant &&
          boost::iequals(std::string(sp.at("appId").as_string()), app)) {
        json::object out = Wire(sp);
        out["@odata.context"] = std::string(kMetadata) + "servicePrincipals/$entity";
        return http::JsonResponse(http::Status::ok, out);
      }
    }
    return GraphError(http::Status::not_found, "Request_ResourceNotFound",
                      "Resource '" + app +
                          "' does not exist or one of its queried "
                          "reference-property objects are not present.");
  });

  router.Add(http::Verb::post, "/graph/v1.0/users", [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    auto token = state.Bearer(ctx.request);
    if (!token) {
      return GraphError(http::Status::unauthorized, "InvalidAuthenticationToken",
                        "Access token is empty or has expired.");
    }
    auto body = ParseJsonObject(ctx.request.body());
    if (!body.ok())
      return GraphError(http::Status::bad_request, "BadRequest", body.error().message);
    std::string upn = StringCi(*body, "userPrincipalName");
    std::string display = StringCi(*body, "displayName");
    std::string nickname = StringCi(*body, "mailNickname");
    const json::value* enabled = FindCi(*body, "accountEnabled");
    const json::value* profile = FindCi(*body, "passwordProfile");
    if (upn.empty() || display.empty() || nickname.empty() || !enabled || !enabled->is_bool() ||
        !profile || !profile->is_object() || StringCi(profile->as_object(), "password").empty()) {
      return GraphError(http::Status::bad_request, "Request_BadRequest",
                        "Invalid value specified for property: accountEnabled, displayName, "
                        "mailNickname, userPrincipalName and passwordProfile.password are "
                        "required.");
    }
    if (token->tenant_id == kPartnerTenantId) {
      return GraphError(http::Status::forbidden, "Authorization_RequestDenied",
                        "Insufficient privileges to complete the operation: use a token for the "
                        "customer tenant.");
    }
    for (const auto& u : state.users) {
      if (boost::iequals(std::string(u.at("userPrincipalName").as_string()), upn)) {
        return GraphError(http::Status::bad_request, "Request_BadRequest",
                          "Another object with the same value for property userPrincipalName "
                          "already exists.");
      }
    }
    json::object user{
        {"@odata.context", "https://graph.microsoft.com/v1.0/$metadata#users/$entity"},
        {"id", state.ids.Guid()},
        {"businessPhones", json::array{}},
        {"displayName", display},
        {"givenName", nullptr},
        {"jobTitle", nullptr},
        {"mail", nullptr},
        {"mobilePhone", nullptr},
        {"officeLocation", nullptr},
        {"preferredLanguage", nullptr},
        {"surname", nullptr},
        {"userPrincipalName", upn}};
    json::object stored = user;
    stored["tenantId"] = token->tenant_id;
    stored["accountEnabled"] = enabled->as_bool();
    stored["mailNickname"] = nickname;
    state.users.push_back(std::move(stored));
    return http::JsonResponse(http::Status::created, user);
  });
}

}  // namespace pc::sandbox
