#include "api/api.h"

#include <stdexcept>

#include "api/respond.h"
#include "api/routes.h"
#include "api/web_routes.h"

namespace pc::api {

void Capabilities::Put(std::string_view name, const std::type_info& type, void* service) {
  if (sealed_) {
    throw std::logic_error("capability '" + std::string(name) + "' is provided after BuildRouter");
  }
  if (!provided_.emplace(std::string(name), Entry{&type, service}).second) {
    throw std::logic_error("capability '" + std::string(name) + "' is provided twice");
  }
}

void* Capabilities::Get(std::string_view name, const std::type_info& type) const {
  if (!sealed_) wanted_.emplace(name);
  auto it = provided_.find(name);
  if (it == provided_.end()) return nullptr;
  if (*it->second.type != type) {
    throw std::logic_error("capability '" + std::string(name) + "' is provided with another type");
  }
  return it->second.service;
}

Status Capabilities::CheckComplete() const {
  std::string missing;
  for (const auto& name : wanted_) {
    if (provided_.contains(name)) continue;
    missing += (missing.empty() ? "" : ", ") + name;
  }
  if (missing.empty()) return {};
  return FailedPrecondition("Routes need capabilities nobody provided: " + missing);
}

std::vector<std::string> Capabilities::Provided() const {
  std::vector<std::string> names;
  for (const auto& [name, entry] : provided_) names.push_back(name);
  return names;
}

http::Router BuildRouter(ApiContext& ctx) {
  http::Router router;
  AddSystemRoutes(router, ctx);
  AddIdentityRoutes(router, ctx);
  AddOnboardingRoutes(router, ctx);
  AddUsageRoutes(router, ctx);
  AddBillingRoutes(router, ctx);
  AddSupportRoutes(router, ctx);
  AddSupportRequestRoutes(router, ctx);
  AddBudgetRoutes(router, ctx);
  AddWebhookRoutes(router, ctx);
  AddGovernanceRoutes(router, ctx);
  ctx.capabilities.Seal();
  SetTextFieldLimit(ctx.options.max_text_field);
  // Nothing unauthenticated may cost more than a small bound: a request to the API that carries
  // a body is authenticated from its headers before its body is read. The login itself is the
  // exception; its body is small (BodyPolicy in identity_routes.cpp).
  for (auto& route : router.mutable_routes()) {
    if (route.body.admit || !route.pattern.starts_with("/api/") ||
        route.pattern == "/api/v1/session") {
      continue;
    }
    // The principal found here goes to the handler (RequestContext::admitted): authenticated once.
    route.body.admit = [&ctx](const http::RequestHeader& header, std::string_view client_addr,
                              std::any& admitted) -> std::optional<http::Response> {
      if (!HasBody(header)) return std::nullopt;
      auto who = AuthenticateHeader(header, client_addr, ctx);
      if (!who.ok()) return ErrorReply(who.error());
      admitted = *std::move(who);
      return std::nullopt;
    };
  }
  if (ctx.options.serve_web_app) router.SetFallback(WebAppHandler(ctx.options.web_root));
  return router;
}

}  // namespace pc::api
