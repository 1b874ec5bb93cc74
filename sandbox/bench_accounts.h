// POST /sandbox/control/clc-accounts {"aliases": ["B001", ...], "parent": "T3N"}: adds CLC
// customer accounts under `parent` (default T3N, the platform account the partner's billing
// user posts invoice lines for), so a benchmark can close a month for thousands of aliases
// (bench/month_close.sh). Existing aliases are left as they are. Callers hold State::mu.
#pragma once

#include "core/http/message.h"
#include "core/json.h"
#include "sandbox/state.h"

namespace pc::sandbox {

http::Response AddClcAccounts(State& state, const json::object& body);

}  // namespace pc::sandbox
