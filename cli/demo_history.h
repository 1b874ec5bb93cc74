// `partnercloud demo --history MONTHS`: a past for the fixture customer, so that a newcomer sees
// month close and invoices in the first minutes. Built with the real parts: the sandbox clock is
// set back MONTHS months, a provider for alias ACME (organization Acme) is onboarded through
// the service's own API, the clock returns to the present, the provider is dated back, each
// ended month's billed usage is pulled from Partner Center's invoices and the month closed
// (invoice lines posted to the CLC invoice sink); the oldest month's last day arrives after its
// close, so the next close bills it as one reconciliation line ("Update to Previous Month").
#pragma once

#include <string>

#include "cli/config.h"
#include "cli/service.h"
#include "core/result.h"

namespace pc::cli {

struct DemoHistoryReport {
  std::string provider_id;
  int months_closed = 0;
  int invoice_lines = 0;
};

// Creates the history (see above). `months` >= 1. Runs while the service runs (its API on
// `running.port`); the month-close scheduler must not run yet. Errors name the step that failed.
Result<DemoHistoryReport> CreateDemoHistory(const Config& config, RunningService& running,
                                            int months);

}  // namespace pc::cli
