// Structured support requests beyond the support desk's own routes: the portal.azure.com users'
// temporary passwords, shown once to the requester (support/request_actions.h).
#include "api/respond.h"
#include "api/routes.h"
#include "support/request_actions.h"
#include "support/support_service.h"

namespace pc::api {

void AddSupportRequestRoutes(http::Router& router, ApiContext& ctx) {
  router.Add(
      http::Verb::post, "/api/v1/support/tickets/{id}/credentials",
      Authed(ctx, [&ctx](http::RequestContext& req, const identity::Principal& who) {
        auto* desk = ctx.capabilities.Find<support::SupportService>(capability::kSupportDesk);
        if (desk == nullptr || !desk->actions().flows) {
          return ErrorReply(Unavailable("Structured requests are not available on this server"));
        }
        // Visible to this user at all (customers: their organization's tickets)?
        auto ticket = desk->GetTicket(who, req.params["id"]);
        if (!ticket.ok()) return ErrorReply(ticket.error());
        auto shown = support::RevealPortalCredentials(desk->db(), desk->actions().flows->secrets,
                                                      who, *ticket);
        if (!shown.ok()) return ErrorReply(shown.error());
        json::array items;
        for (const auto& c : *shown) {
          items.push_back(json::object{{"userPrincipalName", c.user_principal_name},
                                       {"displayName", c.display_name},
                                       {"temporaryPassword", c.temporary_password}});
        }
        auto res = http::JsonResponse(http::Status::ok,
                                      json::object{{"items", json::value(std::move(items))}});
        res.set(boost::beast::http::field::cache_control, "no-store");
        return res;
      }));
}

}  // namespace pc::api
