// Structured requests (portal.azure.com users, closing the Azure account, the detailed billing
// report): what the platform does once an operator approves one. OWNED BY support13web, which
// implements it; support13 ships this header and a placeholder implementation so the approval
// route can call it.
#pragma once

#include <functional>
#include <string>

#include "core/json.h"
#include "core/result.h"
#include "identity/identity.h"
#include "store/store.h"
#include "support/ticket_store.h"

namespace pc::support {

// What the support desk hands to structured-request and escalation code. Fields may be added.
struct ActionContext {
  store::Database& db;
  std::function<void()> on_work_queued;  // wakes the job workers (may be empty)
};

// The request's new state and result after approval, e.g. {"running", {}} when a durable job
// was queued, or {"done", {...}} when it finished at once.
struct RequestOutcome {
  std::string state;  // approved | running | done | failed
  json::object result;
};

inline constexpr std::string_view kNotAvailableYet = "not available yet";

// Called after an operator approved `ticket`'s structured request (its state is already
// "approved", committed). The placeholder answers Error{kUnavailable, "... not available yet"}.
Result<RequestOutcome> RunApprovedRequest(ActionContext& ctx, const identity::Principal& approver,
                                          const Ticket& ticket);

}  // namespace pc::support
