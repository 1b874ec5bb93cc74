// Route registration, one function per capability.
#pragma once

#include "api/api.h"

namespace pc::api {

void AddSystemRoutes(http::Router& router, ApiContext& ctx);
void AddIdentityRoutes(http::Router& router, ApiContext& ctx);
void AddOnboardingRoutes(http::Router& router, ApiContext& ctx);
void AddUsageRoutes(http::Router& router, ApiContext& ctx);
void AddBillingRoutes(http::Router& router, ApiContext& ctx);
void AddSupportRoutes(http::Router& router, ApiContext& ctx);
void AddSupportRequestRoutes(http::Router& router, ApiContext& ctx);  // support_request_routes.cpp
void AddBudgetRoutes(http::Router& router, ApiContext& ctx);          // budget_routes.cpp
void AddWebhookRoutes(http::Router& router, ApiContext& ctx);         // webhook_routes.cpp
void AddGovernanceRoutes(http::Router& router, ApiContext& ctx);      // governance_routes.cpp

}  // namespace pc::api
