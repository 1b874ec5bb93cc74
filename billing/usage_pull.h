// The scheduled pull of Partner Center's unbilled daily rated usage (v1 line items, seek paged
// by 2,000) for the current and the previous period, imported like any usage file. Imports are
// idempotent (file digest and line identity), so pulling the same usage again changes nothing.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "billing/usage_import.h"
#include "connectors/partner_center_client.h"
#include "store/store.h"

namespace pc::billing {

// Fetches one period ("current" or "previous") into a JSON-lines file under `temp_dir` and
// imports it as the system principal (running `after_import` in the import's transaction).
// Errors: Unavailable when Partner Center fails.
Result<ImportReport> PullUnbilledUsage(store::Database& db,
                                       connectors::PartnerCenterClient& partner_center,
                                       std::string_view period, const std::string& temp_dir,
                                       const AfterImport& after_import = {});

// Which usage days of a pull to import ("YYYY-MM-DD" of each line's usageDate); empty: all.
using UsageDayFilter = std::function<bool(std::string_view day)>;

// The same for an invoice's billed daily rated usage
// (GET /v1/invoices/{invoice_id}/lineitems?provider=onetime&invoicelineitemtype=usagelineitems),
// keeping only the lines whose day `keep` accepts.
Result<ImportReport> PullBilledUsage(store::Database& db,
                                     connectors::PartnerCenterClient& partner_center,
                                     const std::string& invoice_id, const std::string& temp_dir,
                                     const UsageDayFilter& keep = {});

}  // namespace pc::billing
