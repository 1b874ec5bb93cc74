// GET /healthz, /readyz, /metrics, /api/v1/openapi.json
#include <sodium.h>

#include <boost/asio/ip/address.hpp>

#include "api/respond.h"
#include "api/routes.h"
#include "support/support_service.h"

namespace pc::api {

namespace {

bool IsLoopback(const std::string& address) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(address, ec);
  if (ec) return false;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).is_loopback();
  }
  return a.is_loopback();
}

}  // namespace

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
  // /metrics: with metrics.token set, only with that Bearer token; without it, only to clients
  // on this machine (a scraper elsewhere needs the token).
  router.Add(http::Verb::get, "/metrics", [&ctx](http::RequestContext& req) {
    const std::string& token = ctx.options.metrics_token;
    if (!token.empty()) {
      std::string_view auth = req.request[boost::beast::http::field::authorization];
      std::string expected = "Bearer " + token;
      bool ok = auth.size() == expected.size() &&
                sodium_memcmp(auth.data(), expected.data(), expected.size()) == 0;
      if (!ok) {
        auto res = ErrorReply(Unauthenticated(
            "/metrics needs 'Authorization: Bearer <metrics.token>' (set in the configuration)"));
        return res;
      }
    } else if (!IsLoopback(req.client_addr)) {
      return ErrorReply(PermissionDenied(
          "/metrics is served only to this machine unless metrics.token is configured"));
    }
    std::string text = ctx.metrics.Render();
    if (ctx.support != nullptr) text += ctx.support->RenderMetrics();
    return http::TextResponse(http::Status::ok, std::move(text),
                              "text/plain; version=0.0.4; charset=utf-8");
  });
  router.Add(http::Verb::get, "/api/v1/openapi.json", [](http::RequestContext&) {
    return http::TextResponse(http::Status::ok, std::string(OpenApiDocument()), "application/json");
  });
}

}  // namespace pc::api
