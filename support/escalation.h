// Escalation to Microsoft: a Partner Center service request with the ticket's content, then its
// status and Microsoft's notes followed by a durable job ("support-escalation") that appends
// them to the conversation: a status change as an "event" (the customer sees it), each note of
// Microsoft's engineers as an internal "note" for the agent to relay. The job ends when the
// service request is closed. Appends are recorded in the job runner's transaction with the
// job's progress, so each appears exactly once, whatever crashes.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "identity/identity.h"
#include "jobs/runner.h"
#include "support/request_actions.h"
#include "support/ticket_store.h"

namespace pc::support {

struct EscalationOutcome {
  std::string service_request_id;
  std::string status;  // Partner Center's status, e.g. "open"
};

inline constexpr std::string_view kEscalationJobKind = "support-escalation";

// Called when staff escalate `ticket` (with an optional note for Microsoft): creates the
// service request (POST /v1/servicerequests/{agent_locale}; the MS-RequestId is derived from
// the ticket, so a second attempt gets the same request back) and queues the job that follows
// it. On success the support desk records the service request on the ticket and sets its
// status "escalated". Errors: Unavailable when Partner Center cannot be reached or the process
// has no SupportFlows; FailedPrecondition with Partner Center's reason when it refuses.
Result<EscalationOutcome> Escalate(ActionContext& ctx, const identity::Principal& who,
                                   const Ticket& ticket, std::string_view note);

// The service request's description: the subject, the conversation as the customer wrote it
// and the agents' answers (not internal notes), and the agent's note; at most `limit` bytes.
std::string ServiceRequestDescription(const Ticket& ticket, std::string_view note,
                                      size_t limit = 4000);

// Registers the "support-escalation" job kind (RegisterSupportJobs calls it).
void RegisterEscalationJob(jobs::JobRunner& runner, store::Database& db,
                           std::shared_ptr<const SupportFlows> flows);

}  // namespace pc::support
