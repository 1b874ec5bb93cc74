// Running the service: open and migrate the database, wire the API, serve until SIGTERM.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "cli/config.h"
#include "core/result.h"
#include "store/store.h"

namespace pc::cli {

// Opens the configured database and applies pending migrations.
Result<std::unique_ptr<store::Database>> OpenDatabase(const Config& config);

// Serves the API until SIGTERM/SIGINT; requests in flight finish first. `on_listening` is
// called with the bound port (before serving). Returns the process exit code.
int RunService(const Config& config, store::Database& db,
               const std::function<void(uint16_t)>& on_listening);

// Creates the demo organizations and users if they are missing (password "demo").
Status SeedDemo(store::Database& db);

}  // namespace pc::cli
