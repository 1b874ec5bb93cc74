// Structured requests written in an email (the web form and the API send them as JSON): a
// message that reads like one of the three forms becomes that request, pending an operator's
// approval, exactly as if it had come through the form. Recognition is strict on purpose: a
// message that only talks about the subject stays a free-text ticket for an agent.
#pragma once

#include <optional>
#include <string_view>

#include "core/time.h"
#include "support/ticket_store.h"

namespace pc::support {

// The request the message asks for, or nullopt. `now_month` is the month the message arrived
// in (a billing report that names no month is for the month before it).
//   portal-users:   "portal" in the subject or text, and one line per user
//                   "First Last <email>" or "First Last, email"
//                   -> {"users":[{"firstName","lastName","email"}]}
//   close-account:  "close" or "cancel" with "account" or "subscription", and the lines
//                   "First name:", "Last name:", "Company:", "Reason:"
//                   -> {"firstName","lastName","company","reason"}
//   billing-report: "detailed billing report" (or "billing detail report") and optionally a
//                   month "YYYY-MM" or "<Month name> YYYY"  -> {"month":"YYYY-MM"}
std::optional<StructuredRequest> RecognizeRequest(std::string_view subject, std::string_view text,
                                                  YearMonth now_month);

// The ticket topic a structured request belongs to.
std::string_view TopicOfRequest(std::string_view kind);

}  // namespace pc::support
