#include "cli/billing_command.h"

#include <fstream>
#include <iostream>
#include <memory>

#include "billing/charges.h"
#include "billing/clc_billing.h"
#include "billing/focus_export.h"
#include "billing/month_close.h"
#include "cli/config.h"
#include "cli/service.h"
#include "connectors/clc_client.h"
#include "connectors/tls_trust.h"
#include "identity/identity.h"

namespace pc::cli {

namespace {

struct BillingCloseFlags {
  std::string config_file;
  std::string database;
  std::vector<std::string> sets;
  std::string month;
};

struct BillingExportFlags {
  std::string config_file;
  std::string database;
  std::vector<std::string> sets;
  std::string alias;
  std::string month;
  bool focus = false;
  std::string out;       // "" = standard output
  std::string metadata;  // with --focus: where to write focus-metadata.json ("" = not written)
};

// Loads the configuration the way every command does; prints the error and returns false.
bool LoadConfig(const std::string& file, const std::vector<std::string>& sets,
                const std::string& database, Config& config) {
  Status loaded = file.empty() ? Status() : LoadConfigFile(file, config);
  if (loaded.ok()) loaded = ApplyEnvironment(config);
  for (const auto& s : sets) {
    if (loaded.ok()) loaded = ApplyOverride(s, config);
  }
  if (loaded.ok() && !database.empty()) config.database = database;
  if (loaded.ok()) loaded = Validate(config);
  if (!loaded.ok()) std::cerr << "error: " << loaded.error().message << "\n";
  return loaded.ok();
}

// Writes `text` to `path` ("" = standard output); false (and says why) when it cannot.
bool WriteOut(const std::string& path, const std::string& text) {
  if (path.empty()) {
    std::cout << text;
    return static_cast<bool>(std::cout.flush());
  }
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) std::cerr << "error: cannot write " << path << "\n";
  return static_cast<bool>(file);
}

// A month of one alias's charges as detail.csv or, with --focus, as FOCUS 1.2 (the same files
// as GET /api/v1/billing/{alias}/detail.csv and focus.csv), read as the system principal.
int RunBillingExport(const BillingExportFlags& flags) {
  Config config;
  if (!LoadConfig(flags.config_file, flags.sets, flags.database, config)) return 2;
  auto month = YearMonth::Parse(flags.month);
  if (!month.ok()) {
    std::cerr << "error: --month: " << month.error().message << "\n";
    return 2;
  }
  std::string alias = flags.alias;
  for (auto& c : alias) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!flags.metadata.empty() && !flags.focus) {
    std::cerr << "error: --metadata describes a FOCUS export: add --focus\n";
    return 2;
  }
  auto db = OpenDatabase(config);
  if (!db.ok()) {
    std::cerr << "error: " << db.error().message << "\n";
    return 2;
  }
  billing::FocusOptions options;
  options.invoice_issuer = config.partner_name;
  auto csv = flags.focus
                 ? billing::AliasFocusCsv(**db, identity::SystemPrincipal(), alias, *month, options)
                 : billing::AliasDetailCsv(**db, identity::SystemPrincipal(), alias, *month);
  if (!csv.ok()) {
    std::cerr << "error: " << csv.error().message << "\n";
    return 1;
  }
  if (!WriteOut(flags.out, *csv)) return 1;
  if (!flags.metadata.empty() &&
      !WriteOut(flags.metadata,
                json::serialize(billing::FocusMetadata(alias, *month, options)) + "\n")) {
    return 1;
  }
  return 0;
}

// Closes the month as the system principal and posts its lines with the partner's CLC user.
int RunBillingClose(const BillingCloseFlags& flags) {
  Config config;
  if (!LoadConfig(flags.config_file, flags.sets, flags.database, config)) return 2;
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
  auto* billing = app.add_subcommand("billing", "Billing: month close, exports");
  billing->require_subcommand(1);
  auto* close = billing->add_subcommand(
      "close",
      "Close an ended month: one \"Integrated Azure Services Usage\" line per billing alias on "
      "its CenturyLink Cloud invoice, posted exactly once, plus \"Update to Previous Month\" "
      "lines for usage of closed months that arrived later");
  close->add_option("--month", flags->month, "The month to close, YYYY-MM")->required();
  close->add_option("--config", flags->config_file, "TOML configuration file");
  close->add_option("--database", flags->database,
                    "Database URL: sqlite:PATH or postgresql://user@host:port/db");
  close->add_option("--set", flags->sets, "Override a configuration key");
  close->callback([flags] {
    int code = RunBillingClose(*flags);
    if (code != 0) throw CLI::RuntimeError(code);
  });

  auto exp = std::make_shared<BillingExportFlags>();
  auto* export_cmd = billing->add_subcommand(
      "export",
      "Write a month of one billing alias's charges: the detail CSV, or with --focus the FOCUS "
      "1.2 dataset (the same files as the API's detail.csv and focus.csv)");
  export_cmd->add_option("--alias", exp->alias, "The billing alias, such as ACME")->required();
  export_cmd->add_option("--month", exp->month, "The month, YYYY-MM")->required();
  export_cmd->add_flag("--focus", exp->focus, "FOCUS 1.2 CSV instead of the detail CSV");
  export_cmd->add_option("--out", exp->out, "Output file (default standard output)");
  export_cmd->add_option("--metadata", exp->metadata,
                         "With --focus: also write the FOCUS metadata document (JSON) here");
  export_cmd->add_option("--config", exp->config_file, "TOML configuration file");
  export_cmd->add_option("--database", exp->database,
                         "Database URL: sqlite:PATH or postgresql://user@host:port/db");
  export_cmd->add_option("--set", exp->sets, "Override a configuration key");
  export_cmd->callback([exp] {
    int code = RunBillingExport(*exp);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace pc::cli
