#include "api/api.h"

#include "api/respond.h"
#include "api/routes.h"
#include "api/web_routes.h"

namespace pc::api {

http::Router BuildRouter(ApiContext& ctx) {
  http::Router router;
  AddSystemRoutes(router, ctx);
  AddIdentityRoutes(router, ctx);
  AddOnboardingRoutes(router, ctx);
  AddUsageRoutes(router, ctx);
  AddBillingRoutes(router, ctx);
  AddSupportRoutes(router, ctx);
  AddSupportRequestRoutes(router, ctx);
  SetTextFieldLimit(ctx.options.max_text_field);
  // Nothing unauthenticated may cost more than a small bound: a request to the API that carries
  // a body is authenticated from its headers before its body is read. The login itself is the
  // exception; its body is small (BodyPolicy in identity_routes.cpp).
  for (auto& route : router.mutable_routes()) {
    if (route.body.admit || !route.pattern.starts_with("/api/") ||
        route.pattern == "/api/v1/session") {
      continue;
    }
    route.body.admit = [&ctx](const http::RequestHeader& header,
                              std::string_view client_addr) -> std::optional<http::Response> {
      if (!HasBody(header)) return std::nullopt;
      auto who = AuthenticateHeader(header, client_addr, ctx);
      if (!who.ok()) return ErrorReply(who.error());
      return std::nullopt;
    };
  }
  if (ctx.options.serve_web_app) router.SetFallback(WebAppHandler(ctx.options.web_root));
  return router;
}

}  // namespace pc::api
