#include "cli/usage_command.h"

#include <iostream>
#include <memory>

#include "billing/usage_import.h"
#include "budgets/evaluation.h"
#include "cli/config.h"
#include "cli/service.h"
#include "identity/identity.h"

namespace pc::cli {

namespace {

struct UsageImportFlags {
  std::string config_file;
  std::string database;
  std::vector<std::string> sets;
  bool strict = false;
  std::string mode = "additive";
  std::string source;
  std::vector<std::string> files;
};

Result<Config> Resolve(const UsageImportFlags& flags) {
  Config config;
  if (!flags.config_file.empty()) PC_RETURN_IF_ERROR(LoadConfigFile(flags.config_file, config));
  PC_RETURN_IF_ERROR(ApplyEnvironment(config));
  for (const auto& s : flags.sets) PC_RETURN_IF_ERROR(ApplyOverride(s, config));
  if (!flags.database.empty()) config.database = flags.database;
  PC_RETURN_IF_ERROR(Validate(config));
  return config;
}

// Imports each file in its own transaction; prints one summary per file and its rejections.
int RunUsageImport(const UsageImportFlags& flags) {
  auto config = Resolve(flags);
  if (!config.ok()) {
    std::cerr << "error: " << config.error().message << "\n";
    return 2;
  }
  auto db = OpenDatabase(*config);
  if (!db.ok()) {
    std::cerr << "error: " << db.error().message << "\n";
    return 2;
  }
  auto mode = billing::ParseImportMode(flags.mode);
  if (!mode.ok()) {
    std::cerr << "error: --mode: " << mode.error().message << "\n";
    return 2;
  }
  int exit_code = 0;
  for (const auto& file : flags.files) {
    billing::ImportOptions options;
    options.strict = flags.strict;
    options.mode = *mode;
    options.source = flags.source;
    options.max_reported_rejections = 1000;
    options.max_expanded_bytes = static_cast<uint64_t>(config->import_max_expanded_bytes);
    options.max_expansion_ratio = static_cast<uint64_t>(config->import_max_expansion_ratio);
    options.after_import = budgets::EvaluateAfterImport;  // alerts within the import
    auto report = billing::ImportUsageFile(**db, identity::SystemPrincipal(), file, options);
    if (!report.ok()) {
      std::cerr << "error: " << report.error().message << "\n";
      exit_code = 1;
      continue;
    }
    if (report->already_imported) {
      std::cout << file << ": already imported (sha256 " << report->digest
                << "), nothing changed\n";
      continue;
    }
    std::cout << file << ": " << report->rows_imported << " rows imported, "
              << report->rows_rejected << " rejected, " << report->rows_unknown
              << " of unknown customers (kept aside, not billed), " << report->rows_duplicate
              << " already imported (" << report->format << ", import " << report->import_id
              << ")\n";
    if (report->mode == billing::ImportMode::kSnapshot) {
      std::cout << "  snapshot of " << report->source << ": " << report->partitions_replaced
                << " (subscription, day) partitions replaced, " << report->partitions_unchanged
                << " unchanged\n";
    }
    for (const auto& e : report->rejections) std::cout << "  rejected: " << e.ToString() << "\n";
    if (report->rows_rejected > static_cast<int64_t>(report->rejections.size())) {
      std::cout << "  ... and " << report->rows_rejected - report->rejections.size()
                << " more rejected rows\n";
    }
  }
  return exit_code;
}

}  // namespace

void AddUsageCommand(CLI::App& app) {
  auto flags = std::make_shared<UsageImportFlags>();
  auto* usage = app.add_subcommand("usage", "Rated usage: import Microsoft's usage files");
  usage->require_subcommand(1);
  auto* import = usage->add_subcommand(
      "import",
      "Import Partner Center daily rated usage CSV, Graph billing export JSON lines (gzip or "
      "plain) or FOCUS CSV files; each file is one transaction, and a file or line already "
      "imported is not counted again");
  import->add_option("--config", flags->config_file, "TOML configuration file");
  import->add_option("--database", flags->database,
                     "Database URL: sqlite:PATH or postgresql://user@host:port/db");
  import->add_option("--set", flags->sets, "Override a configuration key");
  import->add_flag("--strict", flags->strict, "Reject a whole file at its first bad row");
  import->add_option("--mode", flags->mode,
                     "additive (default: the file adds lines not counted before) or snapshot "
                     "(the file is the whole state of each Azure subscription and day it covers "
                     "and replaces what its source said for them)");
  import->add_option("--source", flags->source,
                     "Snapshot mode: whose snapshot the file is (default: partner-center for "
                     "Partner Center CSV and JSON lines, focus for FOCUS)");
  import->add_option("files", flags->files, "Usage files")->required()->check(CLI::ExistingFile);
  import->callback([flags] {
    int code = RunUsageImport(*flags);
  if (code != 0) throw CLI::RuntimeError(code);
});
}  // namespace pc::cli

}  // namespace pc::cli
