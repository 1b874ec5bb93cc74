// Support desk upstream operations of the sandbox: see support_upstream.h.
#include "sandbox/support_upstream.h"

#include <boost/algorithm/string/predicate.hpp>

#include "sandbox/services.h"

namespace pc::sandbox {

namespace {

const std::string kV1 = "/partnercenter/v1";

http::Response Ok(http::Status status, const json::value& v) {
  return ExactJsonResponse(status, v);
}

std::optional<http::Response> Authorize(State& state, const http::Request& req) {
  if (state.Bearer(req)) return std::nullopt;
  auto res = PartnerCenterFault(http::Status::unauthorized, 401,
                                "Authorization token is missing, invalid or expired.");
  res.set("WWW-Authenticate", "OAuth realm=urn:cpsvc:cpid:" + std::string(kPartnerTenantId));
  return res;
}

// The customer in the path, or a 404 fault as Partner Center answers.
const json::object* Customer(State& state, const std::string& id) {
  const json::object* c = state.FindCustomer(id);
  if (!c || state.Hidden(std::string(c->at("id").as_string()))) return nullptr;
  return c;
}

json::object* PlanSubscription(State& state, const std::string& cid, const std::string& sid) {
  for (auto& s : state.subscriptions) {
    if (s.at("customerId").as_string() == cid &&
        boost::iequals(std::string(s.at("id").as_string()), sid))
      return &s;
  }
  return nullptr;
}

json::object EntitlementJson(const AzureSubscription& a, Timestamp now) {
  return json::object{{"id", a.subscription_id},
                      {"friendlyName", a.display_name},
                      {"status", EntitlementStatus(a, now)},
                      {"subscriptionId", a.plan_subscription_id},
                      {"attributes", json::object{{"objectType", "AzureEntitlement"}}}};
}

}  // namespace

std::string EntitlementStatus(const AzureSubscription& s, Timestamp now) {
  return s.cancelled && now >= *s.cancelled + kEntitlementCancelDelay ? "inactive" : "active";
}

void AddSupportUpstreamRoutes(http::Router& router, http::Router& graph, State& state) {
  // Graph: one user of the token's tenant, by object id or userPrincipalName.
  graph.Add(http::Verb::get, "/graph/v1.0/users/{key}", [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    auto token = state.Bearer(ctx.request);
    if (!token) {
      return GraphError(http::Status::unauthorized, "InvalidAuthenticationToken",
                        "Access token is empty or has expired.");
    }
    const std::string& key = ctx.params["key"];
    for (const auto& u : state.users) {
      if (u.at("tenantId").as_string() != token->tenant_id) continue;
      if (boost::iequals(std::string(u.at("id").as_string()), key) ||
          boost::iequals(std::string(u.at("userPrincipalName").as_string()), key)) {
        json::object out = u;
        out.erase("tenantId");
        out.erase("accountEnabled");
        out["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#users/$entity";
        return http::JsonResponse(http::Status::ok, out);
      }
    }
    return GraphError(http::Status::not_found, "Request_ResourceNotFound",
                      "Resource '" + key +
                          "' does not exist or one of its queried reference-property objects "
                          "are not present.");
  });

  // Cancel an Azure subscription (PC23 cancel-an-azure-subscription.md). The answer is the
  // entitlement, still "active"; it reads "inactive" kEntitlementCancelDelay later. Cancelling
  // again changes nothing.
  router.Add(
      http::Verb::post, kV1 + "/customers/{cid}/subscriptions/{sid}/azureEntitlements/{eid}/cancel",
      [&state](http::RequestContext& ctx) {
        std::lock_guard lock(state.mu);
        if (auto denied = Authorize(state, ctx.request)) return std::move(*denied);
        const json::object* c = Customer(state, ctx.params["cid"]);
        if (!c) {
          return PartnerCenterFault(
              http::Status::not_found, 60003,
              "A customer with the tenant Id '" + ctx.params["cid"] + "' was not found.");
        }
        std::string cid(c->at("id").as_string());
        if (!PlanSubscription(state, cid, ctx.params["sid"])) {
          return PartnerCenterFault(http::Status::not_found, 20003, "Subscription not found");
        }
        auto body = ParseJsonObject(ctx.request.body());
        if (!body.ok())
          return PartnerCenterFault(http::Status::bad_request, 800002, body.error().message);
        std::string reason = StringCi(*body, "cancellationReason");
        // The documented example is "compromise"; "dispute" and "other" are accepted too
        // [inferred]. Anything else is 900307 as the reference lists.
        if (reason != "compromise" && reason != "dispute" && reason != "other") {
          return PartnerCenterFault(http::Status::bad_request, 900307,
                                    "The cancellation reason '" + reason +
                                        "' is not valid: use compromise, dispute or other.");
        }
        AzureSubscription* a = state.FindAzureSubscription(ctx.params["eid"]);
        if (!a || a->tenant_id != cid ||
            !boost::iequals(a->plan_subscription_id, ctx.params["sid"])) {
          return PartnerCenterFault(http::Status::not_found, 800111,
                                    "The entitlement " + ctx.params["eid"] + " was not found.");
        }
        if (!a->cancelled) a->cancelled = state.Now();
        return Ok(http::Status::ok, EntitlementJson(*a, state.Now()));
      });

  // Suspend or reactivate the Azure plan (PC23 suspend-a-subscription.md): the body is the full
  // Subscription with its new status; If-Match, when sent, must be the current etag.
  router.Add(
      http::Verb::patch, kV1 + "/customers/{cid}/subscriptions/{sid}",
      [&state](http::RequestContext& ctx) {
        std::lock_guard lock(state.mu);
        if (auto denied = Authorize(state, ctx.request)) return std::move(*denied);
        const json::object* c = Customer(state, ctx.params["cid"]);
        if (!c) {
          return PartnerCenterFault(
              http::Status::not_found, 60003,
              "A customer with the tenant Id '" + ctx.params["cid"] + "' was not found.");
        }
        std::string cid(c->at("id").as_string());
        json::object* sub = PlanSubscription(state, cid, ctx.params["sid"]);
        if (!sub)
          return PartnerCenterFault(http::Status::not_found, 20003, "Subscription not found");
        auto body = ParseJsonObject(ctx.request.body());
        if (!body.ok())
          return PartnerCenterFault(http::Status::bad_request, 800002, body.error().message);
        std::string etag(sub->at("attributes").at("etag").as_string());
        std::string if_match = Header(ctx.request, "If-Match");
        if (!if_match.empty() && if_match != etag && if_match != "\"" + etag + "\"") {
          return PartnerCenterFault(http::Status::precondition_failed, 800004,
                                    "The subscription was changed since it was read: GET it "
                                    "again and send its current etag in If-Match.");
        }
        std::string status = StringCi(*body, "Status");
        if (status != "suspended" && status != "active") {
          return PartnerCenterFault(http::Status::bad_request, 800002,
                                    "Invalid request input: Status must be suspended or active.");
        }
        if (status == "suspended") {
          for (const auto& a : state.azure_subscriptions) {
            if (a.tenant_id == cid && boost::iequals(a.plan_subscription_id, ctx.params["sid"]) &&
                EntitlementStatus(a, state.Now()) == "active") {
              return PartnerCenterFault(
                  http::Status::bad_request, 800002,
                  "The Azure plan cannot be suspended while it has active Azure subscriptions "
                  "(" +
                      a.subscription_id + "): cancel them first.");
            }
          }
        }
        (*sub)["status"] = status;
        (*sub)["attributes"].as_object()["etag"] =
            std::to_string(state.ids.Next() % 10000000000000000000ULL);
        return Ok(http::Status::ok, *sub);
      });
}

std::optional<http::Response> SupportControl(State& state, const std::string& what,
                                             const json::object& body) {
  const std::string prefix = "/service-requests/";
  if (!what.starts_with(prefix)) return std::nullopt;
  auto bad = [](std::string_view message) {
    return http::ErrorResponse(http::Status::bad_request, "InvalidArgument", message);
  };
  std::string id = what.substr(prefix.size());
  json::object* sr = nullptr;
  for (auto& s : state.service_requests) {
    if (s.at("id").as_string() == id) sr = &s;
  }
  if (!sr) {
    return http::ErrorResponse(http::Status::not_found, "NotFound",
                               "No service request " + id + " in the sandbox");
  }
  auto status = OptionalString(body, "status");
  if (!status.ok()) return bad(status.error().message);
  auto note = OptionalString(body, "note");
  if (!note.ok()) return bad(note.error().message);
  auto by = OptionalString(body, "by");
  if (!by.ok()) return bad(by.error().message);
  if (!status->has_value() && !note->has_value()) {
    return bad("Give 'status' (none, open, attention_needed or closed) and/or 'note' (text)");
  }
  if (status->has_value()) {
    const std::string& s = **status;
    if (s != "none" && s != "open" && s != "attention_needed" && s != "closed") {
      return bad("Field 'status' must be none, open, attention_needed or closed");
    }
    (*sr)["status"] = s;
    if (s == "closed") (*sr)["lastClosedDate"] = Iso(state.Now());
  }
  if (note->has_value()) {
    if ((*note)->empty()) return bad("Field 'note' must not be empty");
    (*sr)["notes"].as_array().push_back(
        json::object{{"createdByName", by->value_or("Microsoft Support")},
                     {"createdDate", Iso(state.Now())},
                     {"text", **note}});
  }
  (*sr)["lastModifiedDate"] = Iso(state.Now());
  return http::JsonResponse(http::Status::ok, *sr);
}

}  // namespace pc::sandbox
