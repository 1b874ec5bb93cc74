// GET /healthz, /readyz, /metrics, /api/v1/openapi.json
#include "api/respond.h"
#include "api/routes.h"

namespace pc::api {

void AddSystemRoutes(http::Router& router, ApiContext& ctx) {
  router.Add(http::Verb::get, "/healthz", [](http::RequestContext&) {
    return http::JsonResponse(http::Status::ok, json::object{{"status", "ok"}});
  });
  router.Add(http::Verb::get, "/readyz", [&ctx](http::RequestContext&) {
    Status ping = ctx.db.Ping();
    if (!ping.ok()) {
      return http::ErrorResponse(http::Status::service_unavailable, "Unavailable",
                                 "The database is not reachable: " + ping.error().message);
    }
    return http::JsonResponse(http::Status::ok, json::object{{"status", "ready"}});
  });
  router.Add(http::Verb::get, "/metrics", [&ctx](http::RequestContext&) {
    return http::TextResponse(http::Status::ok, ctx.metrics.Render(),
                              "text/plain; version=0.0.4; charset=utf-8");
  });
  router.Add(http::Verb::get, "/api/v1/openapi.json", [](http::RequestContext&) {
    return http::TextResponse(http::Status::ok, std::string(OpenApiDocument()), "application/json");
  });
}

}  // namespace pc::api
