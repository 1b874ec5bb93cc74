// `partnercloud support mail-in`: the support desk's mail intake as an MTA pipe transport, and the
// support options every command builds from the configuration.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/config.h"
#include "core/result.h"
#include "support/support_service.h"

namespace pc::cli {

// The support.* keys, checked (errors name the key).
Result<support::SupportOptions> SupportOptionsFromConfig(const Config& config);

// Adds the `support` subcommand to `app` (runs from its CLI11 callback; exit codes are the
// sysexits an MTA understands: 0 stored, 65 refused for good, 75 try again later).
void AddSupportCommand(CLI::App& app);

}  // namespace pc::cli
