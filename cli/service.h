// Running the service: open and migrate the database, wire the API, serve until SIGTERM.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "billing/month_close.h"
#include "cli/config.h"
#include "connectors/partner_center_client.h"
#include "core/result.h"
#include "store/store.h"

namespace pc::cli {

// Opens the configured database and applies pending migrations.
Result<std::unique_ptr<store::Database>> OpenDatabase(const Config& config);

// What a `prepare` step may use: the running service's database, Partner Center client,
// invoice line poster and port.
struct RunningService {
  store::Database& db;
  connectors::PartnerCenterClient& partner_center;
  const billing::LinePoster& post_invoice_line;
  uint16_t port;
  // True once the service is shutting down: a long `prepare` step stops early.
  const std::atomic<bool>& stopping;
};

// Serves the API until SIGTERM/SIGINT; requests in flight finish first. `on_listening` is
// called with the bound port (before serving). `prepare`, when given, runs on its own thread
// once the service listens and its onboarding workers run; the month-close scheduler and the
// usage pull start only after it returns (the demo's history). Returns the process exit code.
int RunService(const Config& config, store::Database& db,
               const std::function<void(uint16_t)>& on_listening,
               const std::function<void(RunningService&)>& prepare = {});

// Creates the demo organizations and users if they are missing (password "demo").
Status SeedDemo(store::Database& db);

}  // namespace pc::cli
