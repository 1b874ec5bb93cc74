#include "api/api.h"

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
  if (ctx.options.serve_web_app) router.SetFallback(WebAppHandler(ctx.options.web_root));
  return router;
}

}  // namespace pc::api
