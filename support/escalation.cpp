#include "support/escalation.h"

namespace pc::support {

Result<EscalationOutcome> Escalate(ActionContext&, const identity::Principal&, const Ticket&,
                                   std::string_view) {
  return Error(ErrorCode::kUnavailable,
               "Escalation to Microsoft is " + std::string(kNotAvailableYet));
}

}  // namespace pc::support
