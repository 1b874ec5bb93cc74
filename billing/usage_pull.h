// The scheduled pull of Partner Center's unbilled daily rated usage (v1 line items, seek paged
// by 2,000) for the current and the previous period, imported like any usage file. Imports are
// idempotent (file digest and line identity), so pulling the same usage again changes nothing.
#pragma once

#include <string>
#include <string_view>

#include "billing/usage_import.h"
#include "connectors/partner_center_client.h"
#include "store/store.h"

namespace pc::billing {

// Fetches one period ("current" or "previous") into a JSON-lines file under `temp_dir` and
// imports it as the system principal. Errors: Unavailable when Partner Center fails.
Result<ImportReport> PullUnbilledUsage(store::Database& db,
                                       connectors::PartnerCenterClient& partner_center,
                                       std::string_view period, const std::string& temp_dir);

}  // namespace pc::billing
