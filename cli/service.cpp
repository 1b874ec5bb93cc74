#include "cli/service.h"

#include <spdlog/spdlog.h>

#include "api/api.h"
#include "core/http/server.h"
#include "identity/identity.h"

namespace pc::cli {

Result<std::unique_ptr<store::Database>> OpenDatabase(const Config& config) {
  PC_ASSIGN_OR_RETURN(auto db, store::Database::Open(config.database));
  PC_RETURN_IF_ERROR(db->Migrate());
  return db;
}

int RunService(const Config& config, store::Database& db,
               const std::function<void(uint16_t)>& on_listening) {
  identity::IdentityOptions id_options;
  id_options.session_ttl = std::chrono::seconds(config.session_ttl);
  id_options.max_failures_per_account = static_cast<int>(config.login_max_failures_per_account);
  id_options.max_failures_per_address = static_cast<int>(config.login_max_failures_per_address);
  id_options.failure_window = std::chrono::seconds(config.login_failure_window);
  id_options.base_lockout = std::chrono::seconds(config.login_base_lockout);
  identity::IdentityService identity(db, id_options);

  http::HttpMetrics metrics;
  api::ApiContext ctx{db, identity, metrics, {}};
  ctx.options.secure_cookies = config.secure_cookies;
  http::Router router = api::BuildRouter(ctx);

  http::ServerOptions options;
  options.address = config.address;
  options.port = static_cast<uint16_t>(config.port);
  options.threads = static_cast<int>(config.threads);
  options.body_limit = static_cast<uint64_t>(config.body_limit);
  options.header_timeout = std::chrono::seconds(config.header_timeout);
  options.read_timeout = std::chrono::seconds(config.read_timeout);
  options.idle_timeout = std::chrono::seconds(config.idle_timeout);
  http::Server server(options, router, &metrics);
  auto port = server.Listen();
  if (!port.ok()) {
    spdlog::error("{}", port.error().message);
    return 1;
  }
  server.HandleSignals();
  spdlog::info("partnercloud listening on http://{}:{}", config.address, *port);
  if (on_listening) on_listening(*port);
  server.Run();
  spdlog::info("partnercloud stopped");
  return 0;
}

Status SeedDemo(store::Database& db) {
  identity::IdentityService identity(db);
  auto system = identity::SystemPrincipal();
  auto ensure_org = [&](const std::string& name,
                        const std::string& kind) -> Result<identity::Organization> {
    auto found = identity.FindOrganizationByName(name);
    if (found.ok()) return found;
    return identity.CreateOrganization(system, name, kind);
  };
  PC_ASSIGN_OR_RETURN(auto acme, ensure_org("Acme", "customer"));
  PC_ASSIGN_OR_RETURN(auto partner, ensure_org("Partner Operations", "partner"));
  struct DemoUser {
    const char* email;
    const char* name;
    identity::Role role;
    const identity::Organization* org;
  };
  const DemoUser users[] = {
      {"admin@acme.example", "Acme Admin", identity::Role::kOrgAdmin, &acme},
      {"dev@acme.example", "Acme Developer", identity::Role::kOrgMember, &acme},
      {"ops@partner.example", "Partner Operator", identity::Role::kOperator, &partner},
      {"agent@partner.example", "Support Agent", identity::Role::kSupportAgent, &partner},
  };
  for (const auto& u : users) {
    identity::NewUser in{u.org->id, u.email, u.name, u.role, "demo"};
    auto created = identity.CreateUser(system, in);
    if (!created.ok() && created.error().code != ErrorCode::kConflict) return created.error();
  }
  return {};
}

}  // namespace pc::cli
