// What the support desk's flows need from the emulated upstreams (partner-center-api.md §4d,
// §4e, §6): cancelling Azure subscriptions (entitlements) under an Azure plan, suspending the
// plan with a subscription PATCH, and a control route that moves a service request through its
// states as Microsoft's engineers would. Graph user creation is in graph.cpp and role
// assignments in arm.cpp. Internal to the sandbox library; callers hold State::mu where noted.
#pragma once

#include <optional>
#include <string>

#include "core/http/router.h"
#include "sandbox/state.h"

namespace pc::sandbox {

// A cancelled Azure subscription reads "active" until this long after the cancel request, then
// "inactive" (Partner Center: "The status flips to inactive about 10 minutes later").
inline constexpr std::chrono::minutes kEntitlementCancelDelay{10};

// "active" or "inactive" for an Azure subscription at `now` (sandbox clock).
std::string EntitlementStatus(const AzureSubscription& s, Timestamp now);

// Registers, on the Partner Center router (prefix /partnercenter/v1):
//   POST  /customers/{cid}/subscriptions/{sid}/azureEntitlements/{eid}/cancel
//   PATCH /customers/{cid}/subscriptions/{sid}   (Status suspended / active; If-Match etag)
// and on the Graph router (prefix /graph/v1.0), in the tenant of the caller's token:
//   GET   /users/{id or userPrincipalName}
void AddSupportUpstreamRoutes(http::Router& partner_center, http::Router& graph, State& state);

// The control route POST /sandbox/control/service-requests/{id} with
// {"status":"none|open|attention_needed|closed"?, "note":"text"?, "by":"name"?}: sets the
// status and/or adds a note as Microsoft's engineer. `what` is the path after
// /sandbox/control. Returns nullopt when `what` is not this route. Callers hold State::mu.
std::optional<http::Response> SupportControl(State& state, const std::string& what,
                                             const json::object& body);

}  // namespace pc::sandbox
