// `partnercloud billing close --month YYYY-MM [--database URL]` and
// `partnercloud billing export --alias A --month YYYY-MM [--focus] [--out F] [--metadata F]`
#pragma once

#include <CLI/CLI.hpp>

namespace pc::cli {

// Adds the `billing` subcommand to `app`. It runs from its CLI11 callback; a failure ends the
// program through CLI::RuntimeError with exit code 1 (refused or lines not posted) or 2
// (configuration or database unusable).
void AddBillingCommand(CLI::App& app);

}  // namespace pc::cli
