// The stable error codes the API returns as `error.code` (README "Error codes", api/openapi.json
// schema Error). A client may rely on a code; the message is for people and may change.
//
// Three sources, each a closed set: the kinds of core/result.h (ErrorCodeName), the domain codes
// below (failures a client must tell apart from others of their kind), and the HTTP layer's own
// refusals before a handler runs (core/http). A new domain code is one line here plus its row
// in README and the openapi enum (api/openapi_test.cpp checks the enum against AllErrorCodes).
#pragma once

#include <string_view>
#include <vector>

#include "core/result.h"

namespace pc::codes {

// Billing: no rated usage yet for the alias and month (the estimate is not zero, it is unknown).
inline constexpr DomainCode kNoUsageYet{"NoUsageYet", ErrorCode::kNotFound};
// Onboarding: CenturyLink Cloud refused the username or password (its own message follows).
inline constexpr DomainCode kClcLoginFailed{"ClcLoginFailed", ErrorCode::kInvalidArgument};
// Onboarding: Entra refused an existing account's secret, or ARM does not show its subscription.
inline constexpr DomainCode kExistingAccountRejected{"ExistingAccountRejected",
                                                     ErrorCode::kInvalidArgument};

// Every domain code above.
inline constexpr const DomainCode* kDomainCodes[] = {&kNoUsageYet, &kClcLoginFailed,
                                                     &kExistingAccountRejected};

// Codes the HTTP layer (core/http server and router) answers with before a handler runs.
inline constexpr std::string_view kHttpLayerCodes[] = {
    "BadRequest",       "MethodNotAllowed",    "HeadersTooLarge",
    "TrailersTooLarge", "InsufficientStorage", "Busy",
};

// Every code the API can return: the kinds' names, the domain codes, the HTTP layer's codes.
std::vector<std::string_view> AllErrorCodes();

}  // namespace pc::codes
