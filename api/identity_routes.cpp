// Sessions, the current user, API tokens, users, organizations and the audit log.
#include "api/respond.h"
#include "api/routes.h"
#include "core/time.h"

namespace pc::api {

namespace {

using identity::Principal;

// Anyone may send a login: its body is bounded well below the general limit (an email of 254
// characters and a password of at most 1024 bytes fit many times over).
constexpr uint64_t kLoginBodyLimit = 8 * 1024;

// Runs `fn(principal)` for an authenticated request, or answers the authentication error.
std::optional<std::string> QueryParam(const http::RequestContext& req, const std::string& key) {
  auto it = req.query.find(key);
  if (it == req.query.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

http::Response SessionCookie(http::Response res, std::string_view token, int64_t max_age,
                             bool secure) {
  std::string cookie = "pc_session=" + std::string(token) +
                       "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age);
  if (secure) cookie += "; Secure";
  res.set(boost::beast::http::field::set_cookie, cookie);
  return res;
}

json::value UsersJson(const std::vector<identity::User>& users) {
  json::array items;
  for (const auto& u : users) items.push_back(identity::ToJson(u));
  return json::object{{"items", std::move(items)}};
}

}  // namespace

void AddIdentityRoutes(http::Router& router, ApiContext& ctx) {
  router.Add(
      http::Verb::post, "/api/v1/session",
      [&ctx](http::RequestContext& req) {
        auto body = JsonBody(req);
        if (!body.ok()) return ErrorReply(body.error());
        auto email = RequiredString(*body, "email");
        if (!email.ok()) return ErrorReply(email.error());
        auto password = RequiredString(*body, "password");
        if (!password.ok()) return ErrorReply(password.error());
        auto login = ctx.identity.Login(*email, *password, req.client_addr);
        if (!login.ok()) return ErrorReply(login.error());
        json::object out{{"token", login->token},
                         {"csrfToken", login->csrf_token},
                         {"expiresAt", login->expires_at},
                         {"user", identity::ToJson(login->user)},
                         {"organization", identity::ToJson(login->organization)}};
        auto ttl = ParseTimestamp(login->expires_at);
        int64_t max_age =
            ttl.ok() ? std::chrono::duration_cast<std::chrono::seconds>(*ttl - Now()).count()
                     : 3600;
        return SessionCookie(http::JsonResponse(http::Status::ok, out), login->token, max_age,
                             ctx.options.secure_cookies);
      },
      http::BodyPolicy{.limit = kLoginBodyLimit, .spool = false, .admit = {}});

  router.Add(http::Verb::delete_, "/api/v1/session",
             Authed(ctx, [&ctx](http::RequestContext&, const Principal& who) {
               auto res = Reply(ctx.identity.Logout(who));
               if (res.result() != http::Status::no_content) return res;
               return SessionCookie(std::move(res), "", 0, ctx.options.secure_cookies);
             }));

  router.Add(http::Verb::get, "/api/v1/me",
             Authed(ctx, [](http::RequestContext&, const Principal& who) {
               return http::JsonResponse(
                   http::Status::ok,
                   json::object{{"user", identity::ToJson(who.user)},
                                {"organization", identity::ToJson(who.organization)},
                                {"role", identity::RoleName(who.user.role)},
                                {"authenticatedVia",
                                 who.via == Principal::Via::kApiToken ? "api_token" : "session"}});
             }));

  // ---- API tokens ----
  router.Add(http::Verb::post, "/api/v1/tokens",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               auto name = RequiredString(*body, "name");
               if (!name.ok()) return ErrorReply(name.error());
               auto days = OptionalInt(*body, "expiresInDays");
               if (!days.ok()) return ErrorReply(days.error());
               auto token = ctx.identity.CreateApiToken(who, *name, *days);
               if (!token.ok()) return ErrorReply(token.error());
               return http::JsonResponse(http::Status::created, identity::ToJson(*token));
             }));
  router.Add(http::Verb::get, "/api/v1/tokens",
             Authed(ctx, [&ctx](http::RequestContext&, const Principal& who) {
               auto tokens = ctx.identity.ListApiTokens(who);
               if (!tokens.ok()) return ErrorReply(tokens.error());
               json::array items;
               for (const auto& t : *tokens) items.push_back(identity::ToJson(t));
               return http::JsonResponse(http::Status::ok, json::object{{"items", items}});
             }));
  router.Add(http::Verb::delete_, "/api/v1/tokens/{id}",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               return Reply(ctx.identity.RevokeApiToken(who, req.params["id"]));
             }));

  // ---- Organizations ----
  router.Add(http::Verb::get, "/api/v1/organizations",
             Authed(ctx, [&ctx](http::RequestContext&, const Principal& who) {
               auto orgs = ctx.identity.ListOrganizations(who);
               if (!orgs.ok()) return ErrorReply(orgs.error());
               json::array items;
               for (const auto& o : *orgs) items.push_back(identity::ToJson(o));
               return http::JsonResponse(http::Status::ok, json::object{{"items", items}});
             }));
  router.Add(http::Verb::post, "/api/v1/organizations",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               auto name = RequiredString(*body, "name");
               if (!name.ok()) return ErrorReply(name.error());
               auto kind = OptionalString(*body, "kind");
               if (!kind.ok()) return ErrorReply(kind.error());
               auto org = ctx.identity.CreateOrganization(who, *name, kind->value_or("customer"));
               if (!org.ok()) return ErrorReply(org.error());
               return http::JsonResponse(http::Status::created, identity::ToJson(*org));
             }));
  router.Add(http::Verb::get, "/api/v1/organizations/{id}",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto org = ctx.identity.GetOrganization(who, req.params["id"]);
               if (!org.ok()) return ErrorReply(org.error());
               return http::JsonResponse(http::Status::ok, identity::ToJson(*org));
             }));
  router.Add(http::Verb::patch, "/api/v1/organizations/{id}",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               auto name = RequiredString(*body, "name");
               if (!name.ok()) return ErrorReply(name.error());
               auto org = ctx.identity.RenameOrganization(who, req.params["id"], *name);
               if (!org.ok()) return ErrorReply(org.error());
               return http::JsonResponse(http::Status::ok, identity::ToJson(*org));
             }));

  // ---- Users ----
  router.Add(http::Verb::get, "/api/v1/users",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto users = ctx.identity.ListUsers(who, QueryParam(req, "organizationId"));
               if (!users.ok()) return ErrorReply(users.error());
               return http::JsonResponse(http::Status::ok, UsersJson(*users));
             }));
  router.Add(http::Verb::post, "/api/v1/users",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               identity::NewUser in;
               auto org = OptionalString(*body, "organizationId");
               auto email = RequiredString(*body, "email");
               auto name = OptionalString(*body, "name");
               auto role = RequiredString(*body, "role");
               auto password = RequiredString(*body, "password");
               for (const Error* e :
                    {org.ok() ? nullptr : &org.error(), email.ok() ? nullptr : &email.error(),
                     name.ok() ? nullptr : &name.error(), role.ok() ? nullptr : &role.error(),
                     password.ok() ? nullptr : &password.error()}) {
                 if (e) return ErrorReply(*e);
               }
               auto parsed_role = identity::ParseRole(*role);
               if (!parsed_role.ok()) return ErrorReply(parsed_role.error());
               in.organization_id = org->value_or(who.organization.id);
               in.email = *email;
               in.name = name->value_or("");
               in.role = *parsed_role;
               in.password = *password;
               auto user = ctx.identity.CreateUser(who, in);
               if (!user.ok()) return ErrorReply(user.error());
               return http::JsonResponse(http::Status::created, identity::ToJson(*user));
             }));
  router.Add(http::Verb::get, "/api/v1/users/{id}",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto user = ctx.identity.GetUser(who, req.params["id"]);
               if (!user.ok()) return ErrorReply(user.error());
               return http::JsonResponse(http::Status::ok, identity::ToJson(*user));
             }));
  router.Add(http::Verb::patch, "/api/v1/users/{id}",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               identity::UserChanges changes;
               auto name = OptionalString(*body, "name");
               if (!name.ok()) return ErrorReply(name.error());
               changes.name = *name;
               auto role = OptionalString(*body, "role");
               if (!role.ok()) return ErrorReply(role.error());
               if (*role) {
                 auto parsed = identity::ParseRole(**role);
                 if (!parsed.ok()) return ErrorReply(parsed.error());
                 changes.role = *parsed;
               }
               auto disabled = OptionalBool(*body, "disabled");
               if (!disabled.ok()) return ErrorReply(disabled.error());
               changes.disabled = *disabled;
               auto password = OptionalString(*body, "password");
               if (!password.ok()) return ErrorReply(password.error());
               changes.password = *password;
               auto current = OptionalString(*body, "currentPassword");
               if (!current.ok()) return ErrorReply(current.error());
               changes.current_password = *current;
               auto user = ctx.identity.UpdateUser(who, req.params["id"], changes);
               if (!user.ok()) return ErrorReply(user.error());
               return http::JsonResponse(http::Status::ok, identity::ToJson(*user));
             }));

  // ---- Audit ----
  router.Add(http::Verb::get, "/api/v1/audit",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               int limit = 100;
               if (auto l = QueryParam(req, "limit")) {
                 try {
                   limit = std::stoi(*l);
                 } catch (const std::exception&) {
                   return ErrorReply(InvalidArgument("Query parameter 'limit' must be a number"));
                 }
               }
               auto entries = ctx.identity.ListAudit(who, QueryParam(req, "organizationId"),
                                                     QueryParam(req, "before"), limit);
               if (!entries.ok()) return ErrorReply(entries.error());
               json::array items;
               for (const auto& e : *entries) items.push_back(identity::ToJson(e));
               json::object out{{"items", items}};
               if (!entries->empty() && static_cast<int>(entries->size()) >= limit) {
                 out["nextBefore"] = entries->back().id;
               }
               return http::JsonResponse(http::Status::ok, out);
             }));
}

}  // namespace pc::api
