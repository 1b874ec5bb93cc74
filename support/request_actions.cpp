#include "support/request_actions.h"

namespace pc::support {

Result<RequestOutcome> RunApprovedRequest(ActionContext&, const identity::Principal&,
                                          const Ticket& ticket) {
  return Error(ErrorCode::kUnavailable,
               "Carrying out " + (ticket.request ? ticket.request->kind : std::string("requests")) +
                   " requests is " + std::string(kNotAvailableYet));
}

}  // namespace pc::support
