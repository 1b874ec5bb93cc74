// Escalation to Microsoft: a Partner Center service request with the ticket's content, then its
// status and Microsoft's notes followed by a durable job. OWNED BY support13web, which implements
// it; support13 ships this header and a placeholder implementation so the escalate route can call
// it.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "identity/identity.h"
#include "support/request_actions.h"
#include "support/ticket_store.h"

namespace pc::support {

struct EscalationOutcome {
  std::string service_request_id;
  std::string status;  // Partner Center's status, e.g. "open"
};

// Called when staff escalate `ticket` (with an optional note for Microsoft). On success the
// support desk records the service request on the ticket and sets its status "escalated".
// The placeholder answers Error{kUnavailable, "... not available yet"}.
Result<EscalationOutcome> Escalate(ActionContext& ctx, const identity::Principal& who,
                                   const Ticket& ticket, std::string_view note);

}  // namespace pc::support
