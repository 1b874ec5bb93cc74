// `partnercloud usage import [--database URL] [--strict] FILE...`
#pragma once

#include <CLI/CLI.hpp>

namespace pc::cli {

// Adds the `usage` subcommand to `app`. It runs from its CLI11 callback; a failure ends the
// program through CLI::RuntimeError with exit code 1 (a file refused) or 2 (configuration or
// database unusable).
void AddUsageCommand(CLI::App& app);

}  // namespace pc::cli
