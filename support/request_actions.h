// Structured requests (portal.azure.com users, closing the Azure account, the detailed billing
// report): what the platform does once an operator approves one.
//
// Approval queues a durable job ("support-request", jobs/runner.h) and returns "running"; the
// job carries the request out one idempotent step at a time and records "done" (with a
// result) or "failed" on the ticket, with an answer to the requester:
//  - portal-users: temporary passwords generated and sealed (SecretBox) before any upstream
//    call, users created in the customer tenant through Graph (an existing user is found, so a
//    retry does not fail), the platform's custom role (onboarding's role definition) assigned
//    to each on the Azure subscription through ARM under a deterministic name. The passwords
//    are shown once to the requester (RevealPortalCredentials) and then wiped; never logged,
//    never in the ticket or the job data in clear.
//  - close-account: every Azure subscription (entitlement) of the alias's Azure plan cancelled
//    through Partner Center, then, once they read inactive, the plan suspended (PATCH status);
//    the alias's providers marked closed. Usage up to then stays in the rollups, so the month
//    is billed by the month close as any other.
//  - billing-report: Billing's detail CSV of the month attached to an answer.
//  - permit-service: the request's resourceType added to the alias's governance exceptions
//    (governance/governance.h); the alias's subscriptions then converge to it.
// The alias must belong to the ticket's organization; anything else fails the request with a
// reason. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "connectors/arm_client.h"
#include "connectors/graph_client.h"
#include "connectors/partner_center_client.h"
#include "core/json.h"
#include "core/result.h"
#include "core/secret_box.h"
#include "identity/identity.h"
#include "jobs/runner.h"
#include "store/store.h"
#include "support/ticket_store.h"

namespace pc::support {

// The upstream clients and settings the structured requests and the escalation need. Built
// once by the process (cli/service.cpp) and shared by the routes and the job handlers.
struct SupportFlows {
  connectors::PartnerCenterClient& partner_center;
  connectors::GraphClient& graph;
  connectors::ArmClient& arm;
  const SecretBox& secrets;
  std::string support_address = "support@partner.example";  // From of our answers
  std::string agent_locale = "en-US";                       // POST /v1/servicerequests/{locale}
  // The only cancellation reason Partner Center documents (partner-center-api.md §4e).
  std::string cancellation_reason = "compromise";
  std::chrono::milliseconds escalation_poll{60000};  // service request status and notes
  std::chrono::milliseconds cancel_poll{30000};  // until the cancelled subscriptions are inactive
  std::chrono::seconds cancel_wait_limit{3600};  // then the job stops for a person
};

// What the support desk hands to structured-request and escalation code. Fields may be added.
struct ActionContext {
  store::Database& db;
  std::function<void()> on_work_queued;  // wakes the job workers (may be empty)
  // Set by the process wiring; null: structured requests and escalation answer Unavailable.
  std::shared_ptr<const SupportFlows> flows = nullptr;
};

// The request's new state and result after approval, e.g. {"running", {}} when a durable job
// was queued, or {"done", {...}} when it finished at once.
struct RequestOutcome {
  std::string state;  // approved | running | done | failed
  json::object result;
};

inline constexpr std::string_view kNotAvailableYet = "not available yet";
inline constexpr std::string_view kRequestJobKind = "support-request";

// Called after an operator approved `ticket`'s structured request (its state is already
// "approved", committed). Queues the job and answers {"running", {}}. Errors: Unavailable
// when the process has no SupportFlows; InvalidArgument for a request kind it does not know.
Result<RequestOutcome> RunApprovedRequest(ActionContext& ctx, const identity::Principal& approver,
                                          const Ticket& ticket);

// Registers the "support-request" job kind (and the escalation's, escalation.h) on `runner`.
void RegisterSupportJobs(jobs::JobRunner& runner, store::Database& db,
                         std::shared_ptr<const SupportFlows> flows);

// One temporary password for the requester.
struct PortalCredential {
  std::string user_principal_name;
  std::string display_name;
  std::string temporary_password;
};

// The temporary passwords of `ticket`'s portal users, for its requester only, once: they are
// wiped in the same transaction. Errors: PermissionDenied for anyone but the requester;
// FailedPrecondition when they were already shown or the users are not created yet.
Result<std::vector<PortalCredential>> RevealPortalCredentials(store::Database& db,
                                                              const SecretBox& secrets,
                                                              const identity::Principal& who,
                                                              const Ticket& ticket);

// A temporary password Entra accepts (16 characters: upper, lower, digits and symbols).
std::string TemporaryPassword();

}  // namespace pc::support
