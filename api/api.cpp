#include "api/api.h"

#include "api/routes.h"

namespace pc::api {

http::Router BuildRouter(ApiContext& ctx) {
  http::Router router;
  AddSystemRoutes(router, ctx);
  AddIdentityRoutes(router, ctx);
  AddOnboardingRoutes(router, ctx);
  AddUsageRoutes(router, ctx);
  AddBillingRoutes(router, ctx);
  return router;
}

}  // namespace pc::api
