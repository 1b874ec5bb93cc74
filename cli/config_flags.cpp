// The configuration options every subcommand shares, and the configuration they resolve to.
#include <CLI/CLI.hpp>

#include "cli/config.h"

namespace pc::cli {

void AddCommonFlags(CLI::App* cmd, CommonFlags& flags) {
  cmd->add_option("--config", flags.config_file, "TOML configuration file");
  cmd->add_option("--database", flags.database,
                  "Database URL: sqlite:PATH or postgresql://user@host:port/db");
  cmd->add_option("--set", flags.sets, "Override a configuration key: --set server.threads=4");
}

Result<Config> LoadConfig(const CommonFlags& flags, const std::vector<std::string>& defaults,
                          const std::vector<std::string>& extra_sets) {
  Config config;
  for (const auto& s : defaults) PC_RETURN_IF_ERROR(ApplyOverride(s, config));
  if (!flags.config_file.empty()) PC_RETURN_IF_ERROR(LoadConfigFile(flags.config_file, config));
  PC_RETURN_IF_ERROR(ApplyEnvironment(config));
  for (const auto& s : flags.sets) PC_RETURN_IF_ERROR(ApplyOverride(s, config));
  for (const auto& s : extra_sets) PC_RETURN_IF_ERROR(ApplyOverride(s, config));
  if (!flags.database.empty()) config.database = flags.database;
  PC_RETURN_IF_ERROR(Validate(config));
  return config;
}

}  // namespace pc::cli
