// Webhooks: /api/v1/webhooks/... Authorization is decided in webhooks/webhook_service.h.
#include "api/respond.h"
#include "api/routes.h"
#include "webhooks/event_types.h"
#include "webhooks/webhook_service.h"

namespace pc::api {

namespace {

using identity::Principal;
using webhooks::WebhookService;

// A handler for an authenticated request that needs the webhook service (503 without it).
template <class Fn>
http::Handler Webhooks(ApiContext& ctx, Fn fn) {
  ctx.capabilities.Find<WebhookService>(capability::kWebhooks);  // checked at start
  return Authed(ctx, [&ctx, fn](http::RequestContext& req, const Principal& who) {
    auto* service = ctx.capabilities.Find<WebhookService>(capability::kWebhooks);
    if (service == nullptr) {
      return ErrorReply(Unavailable("Webhooks are not configured on this server"));
    }
    return fn(req, who, *service);
  });
}

Result<std::optional<std::vector<std::string>>> EventsField(const json::object& body) {
  auto it = body.find("events");
  if (it == body.end()) return std::optional<std::vector<std::string>>();
  if (!it->value().is_array()) {
    return InvalidArgument(
        "Field 'events' must be an array of event types, e.g. [\"provider.ready\"]");
  }
  std::vector<std::string> events;
  for (const auto& v : it->value().as_array()) {
    if (!v.is_string()) return InvalidArgument("Field 'events' must contain only strings");
    events.emplace_back(v.as_string());
  }
  return std::optional<std::vector<std::string>>(std::move(events));
}

}  // namespace

void AddWebhookRoutes(http::Router& router, ApiContext& ctx) {
  const std::string base = "/api/v1/webhooks";
  router.Add(http::Verb::get, base + "/event-types",
             Authed(ctx, [](http::RequestContext&, const Principal&) {
               json::array items;
               for (const auto& t : webhooks::EventTypes()) {
                 items.push_back(json::object{{"type", t.type}, {"description", t.description}});
               }
               return http::JsonResponse(http::Status::ok, json::object{{"items", items}});
             }));

  router.Add(http::Verb::get, base,
             Webhooks(ctx, [](http::RequestContext& req, const Principal& who, WebhookService& s) {
               std::optional<std::string> org;
               if (auto it = req.query.find("organizationId");
                   it != req.query.end() && !it->second.empty()) {
                 org = it->second;
               }
               auto endpoints = s.List(who, org);
               if (!endpoints.ok()) return ErrorReply(endpoints.error());
               json::array items;
               for (const auto& e : *endpoints) items.push_back(webhooks::ToJson(e));
               return http::JsonResponse(http::Status::ok, json::object{{"items", items}});
             }));

  router.Add(http::Verb::post, base,
             Webhooks(ctx, [](http::RequestContext& req, const Principal& who, WebhookService& s) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               auto url = RequiredString(*body, "url");
               if (!url.ok()) return ErrorReply(url.error());
               auto events = EventsField(*body);
               if (!events.ok()) return ErrorReply(events.error());
               if (!*events) {
                 return ErrorReply(InvalidArgument(
                     "Field 'events' is required: the event types to send, e.g. "
                     "[\"provider.ready\"] (GET /api/v1/webhooks/event-types lists them)"));
               }
               auto description = OptionalString(*body, "description");
               if (!description.ok()) return ErrorReply(description.error());
               webhooks::NewEndpoint in{*url, **events, description->value_or("")};
               auto created = s.Create(who, in);
               if (!created.ok()) return ErrorReply(created.error());
               return http::JsonResponse(http::Status::created, webhooks::ToJson(*created));
             }));

  router.Add(http::Verb::get, base + "/{id}",
             Webhooks(ctx, [](http::RequestContext& req, const Principal& who, WebhookService& s) {
               auto endpoint = s.Get(who, req.params["id"]);
               if (!endpoint.ok()) return ErrorReply(endpoint.error());
               return http::JsonResponse(http::Status::ok, webhooks::ToJson(*endpoint));
             }));

  router.Add(http::Verb::patch, base + "/{id}",
             Webhooks(ctx, [](http::RequestContext& req, const Principal& who, WebhookService& s) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               webhooks::EndpointChanges changes;
               auto enabled = OptionalBool(*body, "enabled");
               if (!enabled.ok()) return ErrorReply(enabled.error());
               changes.enabled = *enabled;
               auto url = OptionalString(*body, "url");
               if (!url.ok()) return ErrorReply(url.error());
               changes.url = *url;
               auto description = OptionalString(*body, "description");
               if (!description.ok()) return ErrorReply(description.error());
               changes.description = *description;
               auto events = EventsField(*body);
               if (!events.ok()) return ErrorReply(events.error());
               changes.events = *events;
               auto updated = s.Update(who, req.params["id"], changes);
               if (!updated.ok()) return ErrorReply(updated.error());
               return http::JsonResponse(http::Status::ok, webhooks::ToJson(*updated));
             }));

  router.Add(http::Verb::delete_, base + "/{id}",
             Webhooks(ctx, [](http::RequestContext& req, const Principal& who, WebhookService& s) {
               return Reply(s.Delete(who, req.params["id"]));
             }));

  router.Add(
      http::Verb::post, base + "/{id}/test",
      Webhooks(ctx, [](http::RequestContext& req, const Principal& who, WebhookService& s) {
        auto delivery = s.SendTest(who, req.params["id"]);
        if (!delivery.ok()) return ErrorReply(delivery.error());
        return http::JsonResponse(http::Status::accepted, json::object{{"deliveryId", *delivery}});
      }));

  router.Add(http::Verb::get, base + "/{id}/deliveries",
             Webhooks(ctx, [](http::RequestContext& req, const Principal& who, WebhookService& s) {
               auto limit = LimitParam(req, 100);
               if (!limit.ok()) return ErrorReply(limit.error());
               auto deliveries = s.ListDeliveries(who, req.params["id"], *limit);
               if (!deliveries.ok()) return ErrorReply(deliveries.error());
               json::array items;
               for (const auto& d : *deliveries) items.push_back(webhooks::ToJson(d));
               return http::JsonResponse(http::Status::ok, json::object{{"items", items}});
             }));
}

}  // namespace pc::api
