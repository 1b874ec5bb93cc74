// partnercloud: one binary, a few subcommands (serve, migrate, user add, demo).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/billing_command.h"
#include "cli/config.h"
#include "cli/demo_history.h"
#include "cli/sandbox_command.h"
#include "cli/service.h"
#include "cli/support_command.h"
#include "cli/usage_command.h"
#include "core/random.h"
#include "core/secret_box.h"
#include "identity/identity.h"

namespace {

using pc::cli::Config;

// Options every subcommand shares; applied over the config file and the environment.
struct CommonFlags {
  std::string config_file;
  std::string database;
  std::vector<std::string> sets;
};

void AddCommonFlags(CLI::App* cmd, CommonFlags& flags) {
  cmd->add_option("--config", flags.config_file, "TOML configuration file");
  cmd->add_option("--database", flags.database,
                  "Database URL: sqlite:PATH or postgresql://user@host:port/db");
  cmd->add_option("--set", flags.sets, "Override a configuration key: --set server.threads=4");
}

// Defaults (built in, then `defaults`: a subcommand's own, such as the demo's) < config file <
// environment < --set < flags.
pc::Result<Config> ResolveConfig(const CommonFlags& flags,
                                 const std::vector<std::string>& extra_sets,
                                 const std::vector<std::string>& defaults = {}) {
  Config config;
  for (const auto& s : defaults) PC_RETURN_IF_ERROR(pc::cli::ApplyOverride(s, config));
  if (!flags.config_file.empty()) {
    PC_RETURN_IF_ERROR(pc::cli::LoadConfigFile(flags.config_file, config));
  }
  PC_RETURN_IF_ERROR(pc::cli::ApplyEnvironment(config));
  for (const auto& s : flags.sets) PC_RETURN_IF_ERROR(pc::cli::ApplyOverride(s, config));
  for (const auto& s : extra_sets) PC_RETURN_IF_ERROR(pc::cli::ApplyOverride(s, config));
  if (!flags.database.empty()) config.database = flags.database;
  PC_RETURN_IF_ERROR(pc::cli::Validate(config));
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  return config;
}

int Fail(const pc::Error& error) {
  std::cerr << "error: " << error.message << "\n";
  return 2;
}

void WritePortFile(const std::string& path, uint16_t port) {
  if (path.empty()) return;
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << port << "\n";
  }
  std::filesystem::rename(tmp, path);
}

void PrintDemoBanner(const Config& config, uint16_t port) {
  std::cerr << "\n"
            << "  partnercloud demo is running: http://" << config.address << ":" << port << "\n"
            << "  database: " << config.database << "\n\n"
            << "  Demo logins (password: demo)\n"
            << "    admin@acme.example     organization admin of Acme\n"
            << "    dev@acme.example       member of Acme\n"
            << "    ops@partner.example    operator (the partner's platform staff)\n"
            << "    agent@partner.example  support agent\n\n"
            << "  WARNING: these logins and passwords are for local use only. Never expose a\n"
            << "  demo instance to a network.\n\n"
            << "  Stop with Ctrl-C.\n\n";
}

}  // namespace

int main(int argc, char** argv) {
  pc::InitCrypto();
  spdlog::set_default_logger(spdlog::stderr_color_mt("partnercloud"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l %v", spdlog::pattern_time_type::utc);

  CLI::App app{
      "partnercloud: Azure customer accounts and subscriptions for Microsoft CSP "
      "partners, billed on the partner's own invoice"};
  app.require_subcommand(1);

  // serve
  CommonFlags serve_flags;
  std::string serve_address, port_file;
  int serve_port = -1;
  auto* serve = app.add_subcommand("serve", "Run the service (HTTP API and workers)");
  AddCommonFlags(serve, serve_flags);
  serve->add_option("--address", serve_address, "Listen address (default 127.0.0.1)");
  serve->add_option("--port", serve_port, "Listen port (0 picks a free one)");
  serve->add_option("--port-file", port_file, "Write the bound port to this file");

  // migrate
  CommonFlags migrate_flags;
  auto* migrate = app.add_subcommand("migrate", "Apply database migrations");
  AddCommonFlags(migrate, migrate_flags);

  // user add
  CommonFlags user_flags;
  auto* user = app.add_subcommand("user", "Manage users");
  user->require_subcommand(1);
  auto* user_add = user->add_subcommand("add", "Add a user");
  AddCommonFlags(user_add, user_flags);
  std::string ua_email, ua_name, ua_role, ua_org, ua_org_kind = "customer";
  bool ua_password_stdin = false, ua_create_org = false;
  user_add->add_option("--email", ua_email, "Email address (the login)")->required();
  user_add->add_option("--name", ua_name, "Display name");
  user_add->add_option("--role", ua_role, "org_admin, org_member, operator or support_agent")
      ->required();
  user_add->add_option("--organization", ua_org, "Organization name")->required();
  user_add->add_flag("--create-organization", ua_create_org,
                     "Create the organization if it does not exist");
  user_add->add_option("--organization-kind", ua_org_kind,
                       "customer or partner (with "
                       "--create-organization)");
  user_add->add_flag("--password-stdin", ua_password_stdin,
                     "Read the password from standard input (else PARTNERCLOUD_PASSWORD)");

  // demo
  CommonFlags demo_flags;
  std::string demo_data = "data";
  int demo_port = -1;
  int demo_history = -1;
  auto* demo = app.add_subcommand("demo",
                                  "Run the service on an embedded database with demo "
                                  "users (local use only)");
  AddCommonFlags(demo, demo_flags);
  demo->add_option("--port", demo_port, "Listen port (default 8080)");
  demo->add_option("--data", demo_data,
                   "Data folder: database, key and the sandbox's world (default ./data)");
  demo->add_option("--history", demo_history,
                   "Months of history for Acme: a backdated ACME provider, its usage, closed "
                   "months and invoice lines (default 3 on a new data folder, 0: none)");
  demo->add_option("--port-file", port_file, "Write the bound port to this file");

  // secret seal: encrypt a secret for the configuration file with the server's key
  CommonFlags secret_flags;
  auto* secret = app.add_subcommand("secret", "Secrets at rest");
  secret->require_subcommand(1);
  auto* seal = secret->add_subcommand(
      "seal", "Read a secret on standard input, print it sealed (sb1:...) with the server's key");
  AddCommonFlags(seal, secret_flags);

  // usage import (runs from its own callback)
  pc::cli::AddUsageCommand(app);
  // billing close (runs from its own callback)
  pc::cli::AddBillingCommand(app);
  // support mail-in (runs from its own callback)
  pc::cli::AddSupportCommand(app);

  // sandbox, sandbox generate-usage (run from their own callbacks)
  int sandbox_exit = -1;
  pc::cli::AddSandboxCommand(app, [&](int code) { sandbox_exit = code; });
  int demo_sandbox_port = 8081;
  std::string demo_sandbox_url;
  demo->add_option("--sandbox-port", demo_sandbox_port,
                   "Port of the sandbox started beside the service (default 8081)");
  demo->add_option("--sandbox-url", demo_sandbox_url,
                   "Use a sandbox that is already running at this URL instead of starting one");

  CLI11_PARSE(app, argc, argv);
  if (sandbox_exit >= 0) return sandbox_exit;

  if (*serve) {
    std::vector<std::string> extra;
    if (!serve_address.empty()) extra.push_back("server.address=" + serve_address);
    if (serve_port >= 0) extra.push_back("server.port=" + std::to_string(serve_port));
    auto config = ResolveConfig(serve_flags, extra);
    if (!config.ok()) return Fail(config.error());
    auto db = pc::cli::OpenDatabase(*config);
    if (!db.ok()) return Fail(db.error());
    return pc::cli::RunService(*config, **db,
                               [&](uint16_t port) { WritePortFile(port_file, port); });
  }

  if (*seal) {
    auto config = ResolveConfig(secret_flags, {});
    if (!config.ok()) return Fail(config.error());
    auto box = pc::SecretBox::Load(config->secret_key_file);
    if (!box.ok()) return Fail(box.error());
    std::string plain;
    std::getline(std::cin, plain);
    if (plain.empty()) return Fail(pc::InvalidArgument("Give the secret on standard input"));
    std::cout << box->Seal(plain) << "\n";
    return 0;
  }

  if (*migrate) {
    auto config = ResolveConfig(migrate_flags, {});
    if (!config.ok()) return Fail(config.error());
    auto db = pc::cli::OpenDatabase(*config);
    if (!db.ok()) return Fail(db.error());
    auto version = (*db)->SchemaVersion();
    if (!version.ok()) return Fail(version.error());
    std::cout << "database is at schema version " << *version << "\n";
    return 0;
  }

  if (*user_add) {
    auto config = ResolveConfig(user_flags, {});
    if (!config.ok()) return Fail(config.error());
    auto db = pc::cli::OpenDatabase(*config);
    if (!db.ok()) return Fail(db.error());
    std::string password;
    if (ua_password_stdin) {
      std::getline(std::cin, password);
    } else if (const char* p = std::getenv("PARTNERCLOUD_PASSWORD")) {
      password = p;
    } else {
      return Fail(pc::InvalidArgument(
          "Give the password on standard input with --password-stdin, or in "
          "PARTNERCLOUD_PASSWORD; it is never taken as a flag, so it stays out of ps and shell "
          "history"));
    }
    auto role = pc::identity::ParseRole(ua_role);
    if (!role.ok()) return Fail(role.error());
    pc::identity::IdentityService identity(**db);
    auto system = pc::identity::SystemPrincipal();
    auto org = identity.FindOrganizationByName(ua_org);
    if (!org.ok() && ua_create_org) org = identity.CreateOrganization(system, ua_org, ua_org_kind);
    if (!org.ok()) return Fail(org.error());
    if (password.size() < 8) {
      return Fail(pc::InvalidArgument("The password must have at least 8 characters"));
    }
    auto created = identity.CreateUser(system, {org->id, ua_email, ua_name, *role, password});
    if (!created.ok()) return Fail(created.error());
    std::cout << "created " << created->email << " (" << pc::identity::RoleName(created->role)
              << ") in " << org->name << ", id " << created->id << "\n";
    return 0;
  }

  if (*demo) {
    std::error_code ec;
    std::filesystem::create_directories(demo_data, ec);
    if (ec) return Fail(pc::InvalidArgument("Cannot create " + demo_data + ": " + ec.message()));
    // The demo's own defaults; the user's --config, environment, --set and flags win over them.
    std::vector<std::string> defaults = {
        "database.url=sqlite:" + demo_data + "/partnercloud.db",
        "security.secret_key_file=" + demo_data + "/secret.key", "billing.usage_pull_seconds=120",
        "billing.usage_pull_after_ready_seconds=60", "sandbox.usage_lag_seconds=30",
        // A newcomer can try webhooks with a receiver on this machine (README "Webhooks").
        "webhooks.allow_http_loopback=true"};
    std::vector<std::string> extra;
    if (demo_port >= 0) extra.push_back("server.port=" + std::to_string(demo_port));
    auto config = ResolveConfig(demo_flags, extra, defaults);
    if (!config.ok()) return Fail(config.error());
    // A new data folder: no sandbox world yet.
    bool fresh = !std::filesystem::exists(demo_data + "/sandbox.json", ec) &&
                 !std::filesystem::exists(demo_data + "/partnercloud.db", ec);
    if (demo_history < 0) demo_history = fresh ? 3 : 0;
    if (demo_history > 24) return Fail(pc::InvalidArgument("--history must be 0..24 months"));
    auto db = pc::cli::OpenDatabase(*config);
    if (!db.ok()) return Fail(db.error());
    if (auto seeded = pc::cli::SeedDemo(**db); !seeded.ok()) return Fail(seeded.error());
    if (demo_sandbox_url.empty()) {
      auto sandbox = pc::cli::StartBackgroundSandbox(
          "127.0.0.1", static_cast<uint16_t>(demo_sandbox_port), demo_data,
          std::chrono::seconds(config->sandbox_usage_lag_seconds));
      if (sandbox.http_port == 0) {
        std::cerr << "warning: the demo runs without its sandbox (onboarding and billing need "
                     "one: free port "
                  << demo_sandbox_port << " or give --sandbox-port or --sandbox-url)\n";
        demo_history = 0;
      } else {
        std::cerr << "  sandbox (Entra ID, Partner Center, Graph, ARM, CenturyLink Cloud): "
                  << "http://127.0.0.1:" << sandbox.http_port << " ("
                  << (sandbox.loaded ? "its world reloaded from " : "a new world, saved in ")
                  << demo_data << "/sandbox.json)\n";
        config->sandbox_url = "http://127.0.0.1:" + std::to_string(sandbox.http_port);
        if (!sandbox.loaded) {
          // Records from another world: say so now rather than fail obscurely later.
          int64_t providers = 0;
          if (auto tx = (*db)->Begin(); tx.ok()) {
            auto rows = (*tx)->Query("SELECT COUNT(*) FROM providers");
            if (rows.ok() && !rows->empty()) providers = (*rows)[0].Int(0);
          }
          if (providers > 0) {
            std::cerr << "warning: " << demo_data << " holds " << providers
                      << " provider(s) but no sandbox world (" << demo_data
                      << "/sandbox.json): their customers and subscriptions are unknown to this "
                         "new sandbox, and their providers will say so. Start from an empty data "
                         "folder for a consistent demo.\n";
          }
        }
        if (sandbox.smtp_port != 0 && config->smtp_url.empty()) {
          config->smtp_url = "smtp://127.0.0.1:" + std::to_string(sandbox.smtp_port);
        }
      }
    } else {
      config->sandbox_url = demo_sandbox_url;
    }
    std::function<void(pc::cli::RunningService&)> history;
    if (demo_history > 0) {
      history = [&config, months = demo_history](pc::cli::RunningService& running) {
        spdlog::info("demo history: creating {} months of history for ACME", months);
        auto made = pc::cli::CreateDemoHistory(*config, running, months);
        if (!made.ok()) {
          spdlog::error("demo history: {}", made.error().message);
          return;
        }
        spdlog::info("demo history: provider {}, {} months closed, {} invoice lines",
                     made->provider_id, made->months_closed, made->invoice_lines);
      };
    }
    return pc::cli::RunService(
        *config, **db,
        [&](uint16_t port) {
          PrintDemoBanner(*config, port);
          WritePortFile(port_file, port);
        },
        history);
  }
  return 0;
}
