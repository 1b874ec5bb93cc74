#include "cli/billing_command.h"

#include <iostream>
#include <memory>

#include "billing/clc_billing.h"
#include "billing/month_close.h"
#include "cli/config.h"
#include "cli/service.h"
#include "connectors/clc_client.h"
#include "connectors/tls_trust.h"
#include "identity/identity.h"

namespace pc::cli {

namespace {

struct BillingCloseFlags {
  CommonFlags common;
  std::string month;
};

// Closes the month as the system principal and posts its lines with the partner's CLC user.
int RunBillingClose(const BillingCloseFlags& flags) {
  auto loaded = LoadConfig(flags.common);
  if (!loaded.ok()) {
    std::cerr << "error: " << loaded.error().message << "\n";
    return 2;
  }
  const Config& config = *loaded;
  auto month = YearMonth::Parse(flags.month);
  if (!month.ok()) {
    std::cerr << "error: --month: " << month.error().message << "\n";
    return 2;
  }
  auto db = OpenDatabase(config);
  if (!db.ok()) {
    std::cerr << "error: " << db.error().message << "\n";
    return 2;
  }
  connectors::HttpClientOptions http_options;
  http_options.upstream = "clc";
  connectors::SetUpstreamCaFile(config.tls_ca_file);
  connectors::HttpClient http(http_options);
  connectors::ClcClient clc(http, config.UpstreamUrl(config.clc_url, "/clc"));
  auto post =
      billing::MakeClcLinePoster(clc, config.partner_clc_username, config.partner_clc_password);
  auto report = billing::CloseMonth(**db, identity::SystemPrincipal(), *month, Now(), post);
  if (!report.ok()) {
    std::cerr << "error: " << report.error().message << "\n";
    return 1;
  }
  if (report->already_closed) {
    std::cout << month->ToString() << " was already closed; no new invoice line\n";
  } else {
    std::cout << month->ToString() << " closed: " << report->created.size() << " invoice lines\n";
  }
  for (const auto& l : report->created) {
    std::cout << "  " << l.billing_alias << "  " << l.description << " (" << l.usage_month << ")  "
              << l.amount << " " << l.currency << "\n";
  }
  std::cout << report->posted << " lines posted to the CenturyLink Cloud invoice\n";
  for (const auto& f : report->failures) std::cerr << "not posted yet: " << f << "\n";
  for (const auto& w : report->warnings) std::cerr << "warning: " << w << "\n";
  return report->failures.empty() ? 0 : 1;
}

}  // namespace

void AddBillingCommand(CLI::App& app) {
  auto flags = std::make_shared<BillingCloseFlags>();
  auto* billing = app.add_subcommand("billing", "Billing: month close");
  billing->require_subcommand(1);
  auto* close = billing->add_subcommand(
      "close",
      "Close an ended month: one \"Integrated Azure Services Usage\" line per billing alias on "
      "its CenturyLink Cloud invoice, posted exactly once, plus \"Update to Previous Month\" "
      "lines for usage of closed months that arrived later");
  close->add_option("--month", flags->month, "The month to close, YYYY-MM")->required();
  AddCommonFlags(close, flags->common);
  close->callback([flags] {
    int code = RunBillingClose(*flags);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace pc::cli
