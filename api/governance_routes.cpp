// Governance: /api/v1/governance/... (the permitted-services catalog, its versions, per-alias
// overrides and each subscription's compliance). Authorization is decided in
// governance/governance.h.
#include <charconv>

#include "api/respond.h"
#include "api/routes.h"
#include "governance/governance.h"

namespace pc::api {

namespace {

using identity::Principal;

std::optional<std::string> Query(const http::RequestContext& req, const char* name) {
  auto it = req.query.find(name);
  if (it == req.query.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

template <class Fn>
http::Handler Governance(ApiContext& ctx, Fn fn) {
  ctx.capabilities.Find<governance::GovernanceService>(capability::kGovernance);
  return Authed(ctx, [&ctx, fn](http::RequestContext& req, const Principal& who) {
    auto* g = ctx.capabilities.Find<governance::GovernanceService>(capability::kGovernance);
    if (g == nullptr) {
      return ErrorReply(Unavailable("Governance is not configured on this server"));
    }
    return fn(req, who, *g);
  });
}

void Poke(ApiContext& ctx) {
  if (auto* w = ctx.capabilities.Find<WorkQueued>(capability::kWorkQueued); w && *w) (*w)();
}

Result<int64_t> VersionParam(const http::RequestContext& req) {
  const std::string& text = req.params.at("n");
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 1) {
    return InvalidArgument("The catalog version '" + text + "' is not a positive integer");
  }
  return n;
}

// An optional array of strings.
Result<std::optional<std::vector<std::string>>> StringList(const json::object& o,
                                                           std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<std::vector<std::string>>{};
  if (!it->value().is_array()) {
    return InvalidArgument("Field '" + std::string(key) + "' must be an array of strings");
  }
  std::vector<std::string> out;
  for (const auto& v : it->value().as_array()) {
    if (!v.is_string()) {
      return InvalidArgument("Field '" + std::string(key) + "' must contain only strings");
    }
    out.emplace_back(v.as_string());
  }
  if (out.size() > 2000) {
    return InvalidArgument("Field '" + std::string(key) + "' has more than 2000 entries");
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

json::object WithEffective(const governance::AliasOverride& o, const governance::DesiredState& d) {
  json::object out = governance::ToJson(o);
  json::array types;
  for (const auto& t : d.resource_types) types.emplace_back(t);
  out["effective"] = json::object{{"version", d.version},
                                  {"unrestricted", d.unrestricted},
                                  {"resourceTypes", std::move(types)}};
  return out;
}

}  // namespace

void AddGovernanceRoutes(http::Router& router, ApiContext& ctx) {
  const std::string base = "/api/v1/governance";
  router.Add(http::Verb::get, base + "/catalog",
             Governance(ctx, [](http::RequestContext&, const Principal& who,
                                governance::GovernanceService& g) {
               auto c = g.PublishedCatalog(who);
               if (!c.ok()) return ErrorReply(c.error());
               return http::JsonResponse(http::Status::ok, *c);
             }));
  router.Add(
      http::Verb::get, base + "/catalog/versions",
      Governance(
          ctx, [](http::RequestContext&, const Principal& who, governance::GovernanceService& g) {
            auto list = g.ListVersions(who);
            if (!list.ok()) return ErrorReply(list.error());
            json::array items;
            for (const auto& v : *list) items.push_back(governance::ToJson(v, false));
            return http::JsonResponse(http::Status::ok, json::object{{"items", std::move(items)}});
          }));
  router.Add(http::Verb::post, base + "/catalog/versions",
             Governance(ctx, [](http::RequestContext& req, const Principal& who,
                                governance::GovernanceService& g) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               governance::NewVersion in;
               auto based = OptionalInt(*body, "basedOn");
               if (!based.ok()) return ErrorReply(based.error());
               if (!*based) {
                 return ErrorReply(InvalidArgument(
                     "Field 'basedOn' is required: the version this one starts from (see GET "
                     "/api/v1/governance/catalog/versions)"));
               }
               in.based_on = **based;
               auto types = StringList(*body, "resourceTypes");
               if (!types.ok()) return ErrorReply(types.error());
               in.resource_types = *types;
               auto actions = StringList(*body, "actions");
               if (!actions.ok()) return ErrorReply(actions.error());
               in.actions = *actions;
               auto unrestricted = OptionalBool(*body, "unrestricted");
               if (!unrestricted.ok()) return ErrorReply(unrestricted.error());
               in.unrestricted = *unrestricted;
               auto note = OptionalString(*body, "note");
               if (!note.ok()) return ErrorReply(note.error());
               in.note = note->value_or("");
               auto v = g.CreateVersion(who, in);
               if (!v.ok()) return ErrorReply(v.error());
               return http::JsonResponse(http::Status::created, governance::ToJson(*v, true));
             }));
  router.Add(http::Verb::get, base + "/catalog/versions/{n}",
             Governance(ctx, [](http::RequestContext& req, const Principal& who,
                                governance::GovernanceService& g) {
               auto n = VersionParam(req);
               if (!n.ok()) return ErrorReply(n.error());
               auto v = g.GetVersion(who, *n);
               if (!v.ok()) return ErrorReply(v.error());
               auto diff = g.DiffOf(*v);
               if (!diff.ok()) return ErrorReply(diff.error());
               json::object out = governance::ToJson(*v, true);
               out["diff"] = std::move(*diff);
               return http::JsonResponse(http::Status::ok, out);
             }));
  router.Add(http::Verb::post, base + "/catalog/versions/{n}/publish",
             Governance(ctx, [&ctx](http::RequestContext& req, const Principal& who,
                                    governance::GovernanceService& g) {
               auto n = VersionParam(req);
               if (!n.ok()) return ErrorReply(n.error());
               auto dry = Query(req, "dryRun");
               if (dry && *dry != "true" && *dry != "false") {
                 return ErrorReply(InvalidArgument("Query 'dryRun' must be true or false"));
               }
               bool dry_run = dry && *dry == "true";
               auto out = g.Publish(who, *n, dry_run);
               if (!out.ok()) return ErrorReply(out.error());
               if (!dry_run) Poke(ctx);
               return http::JsonResponse(dry_run ? http::Status::ok : http::Status::accepted, *out);
             }));
  router.Add(http::Verb::get, base + "/aliases/{alias}",
             Governance(ctx, [](http::RequestContext& req, const Principal& who,
                                governance::GovernanceService& g) {
               auto o = g.GetOverride(who, req.params["alias"]);
               if (!o.ok()) return ErrorReply(o.error());
               auto d = g.Effective(o->alias);
               if (!d.ok()) return ErrorReply(d.error());
               return http::JsonResponse(http::Status::ok, WithEffective(*o, *d));
             }));
  router.Add(http::Verb::put, base + "/aliases/{alias}",
             Governance(ctx, [&ctx](http::RequestContext& req, const Principal& who,
                                    governance::GovernanceService& g) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               governance::OverrideChange change;
               auto unrestricted = OptionalBool(*body, "unrestricted");
               if (!unrestricted.ok()) return ErrorReply(unrestricted.error());
               change.unrestricted = *unrestricted;
               auto types = StringList(*body, "extraResourceTypes");
               if (!types.ok()) return ErrorReply(types.error());
               change.extra_resource_types = *types;
               auto note = OptionalString(*body, "note");
               if (!note.ok()) return ErrorReply(note.error());
               change.note = *note;
               auto o = g.PutOverride(who, req.params["alias"], change);
               if (!o.ok()) return ErrorReply(o.error());
               Poke(ctx);
               auto d = g.Effective(o->alias);
               if (!d.ok()) return ErrorReply(d.error());
               return http::JsonResponse(http::Status::ok, WithEffective(*o, *d));
             }));
  router.Add(
      http::Verb::get, base + "/subscriptions",
      Governance(ctx, [](http::RequestContext& req, const Principal& who,
                         governance::GovernanceService& g) {
        auto list = g.ListSubscriptions(who, Query(req, "alias"), Query(req, "state"));
        if (!list.ok()) return ErrorReply(list.error());
        json::array items;
        for (const auto& s : *list) items.push_back(governance::ToJson(s, false));
        return http::JsonResponse(http::Status::ok, json::object{{"items", std::move(items)}});
      }));
  router.Add(http::Verb::get, base + "/subscriptions/{id}",
             Governance(ctx, [](http::RequestContext& req, const Principal& who,
                                governance::GovernanceService& g) {
               auto s = g.GetSubscription(who, req.params["id"]);
               if (!s.ok()) return ErrorReply(s.error());
               return http::JsonResponse(http::Status::ok, governance::ToJson(*s, true));
             }));
  router.Add(http::Verb::post, base + "/subscriptions/{id}/reconcile",
             Governance(ctx, [&ctx](http::RequestContext& req, const Principal& who,
                                    governance::GovernanceService& g) {
               Status s = g.Reconcile(who, req.params["id"]);
               if (!s.ok()) return ErrorReply(s.error());
               Poke(ctx);
               return http::JsonResponse(
                   http::Status::accepted,
                   json::object{{"subscriptionId", req.params["id"]}, {"queued", true}});
             }));
}

}  // namespace pc::api
