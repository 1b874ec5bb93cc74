#include "cli/sandbox_command.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "core/http/server.h"
#include "core/time.h"
#include "sandbox/sandbox.h"
#include "sandbox/tls.h"
#include "sandbox/usage.h"
#include "store/store.h"

namespace pc::cli {

namespace {

struct SandboxFlags {
  std::string address = "127.0.0.1";
  int port = 8081;
  int smtp_port = 0;
  int https_port = -2;  // -2: 8443, or a free port when --port is 0; -1: no HTTPS
  std::string port_file, https_port_file;
  std::optional<uint64_t> seed;
  std::string data_dir;
  int64_t usage_lag = 3600;
  std::string database;
  std::string alias;
  int64_t rows = 1000;
  int customers = 10;
  int resources = 1;
  std::string out;
};

void WritePort(const std::string& path, uint16_t port) {
  if (path.empty()) return;
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp);
    f << port << "\n";
  }
  std::filesystem::rename(tmp, path);
}

// The folder for the TLS files: the data folder, or (memory-only sandbox) a new temporary one.
std::string TlsDir(const std::string& data_dir) {
  if (!data_dir.empty()) return data_dir;
  std::string tmp = (std::filesystem::temp_directory_path() / "partnercloud-sandbox-XXXXXX");
  if (!::mkdtemp(tmp.data())) return "";
  return tmp;
}

// Starts the TLS front for the sandbox on http_port; prints where it is and the CA file.
Result<std::unique_ptr<sandbox::TlsFront>> StartTls(const std::string& address, int https_port,
                                                    const std::string& data_dir, uint16_t http_port,
                                                    uint16_t& bound) {
  std::string dir = TlsDir(data_dir);
  if (dir.empty()) return Unavailable("cannot create a temporary folder for the TLS files");
  PC_ASSIGN_OR_RETURN(sandbox::TlsFiles files, sandbox::EnsureTlsFiles(dir));
  auto front = std::make_unique<sandbox::TlsFront>(address, static_cast<uint16_t>(https_port),
                                                   files, http_port);
  PC_ASSIGN_OR_RETURN(bound, front->Listen());
  std::cerr << "partnercloud sandbox HTTPS on https://" << address << ":" << bound
            << " (the same routes; clients trust its CA file " << files.ca_cert
            << ", e.g. NODE_EXTRA_CA_CERTS, curl --cacert, tls.ca_file)\n";
  return front;
}

int RunSandbox(const SandboxFlags& flags) {
  if (flags.address != "127.0.0.1" && flags.address != "localhost" && flags.address != "::1") {
    std::cerr << "error: the sandbox binds loopback only (127.0.0.1); got " << flags.address
              << "\n";
    return 2;
  }
  if (flags.port < 0 || flags.port > 65535 || flags.smtp_port < 0 || flags.smtp_port > 65535) {
    std::cerr << "error: --port and --smtp-port must be 0..65535\n";
    return 2;
  }
  if (flags.https_port < -2 || flags.https_port > 65535) {
    std::cerr << "error: --https-port must be 0..65535, or -1 for no HTTPS\n";
    return 2;
  }
  if (flags.usage_lag < 0 || flags.usage_lag > 90 * 86400) {
    std::cerr << "error: --usage-lag must be 0..7776000 seconds\n";
    return 2;
  }
  sandbox::SandboxOptions options;
  options.seed = flags.seed;
  options.data_dir = flags.data_dir;
  options.usage_lag = std::chrono::seconds(flags.usage_lag);
  auto opened = sandbox::Sandbox::Open(options);
  if (!opened.ok()) {
    std::cerr << "error: " << opened.error().message << "\n";
    return 2;
  }
  sandbox::Sandbox& sb = **opened;
  if (!flags.data_dir.empty()) {
    std::cerr << "partnercloud sandbox: " << (sb.loaded() ? "loaded" : "new") << " world in "
              << flags.data_dir << "/sandbox.json\n";
  }
  auto smtp = sb.StartSmtp(flags.address, static_cast<uint16_t>(flags.smtp_port));
  if (!smtp.ok()) {
    std::cerr << "error: " << smtp.error().message << "\n";
    return 2;
  }
  http::Server server(
      sandbox::SandboxServerOptions(flags.address, static_cast<uint16_t>(flags.port)), sb.router(),
      nullptr);
  auto port = server.Listen();
  if (!port.ok()) {
    std::cerr << "error: " << port.error().message << "\n";
    return 2;
  }
  server.HandleSignals();
  std::unique_ptr<sandbox::TlsFront> tls;
  if (flags.https_port != -1) {
    int https_port = flags.https_port == -2 ? (flags.port == 0 ? 0 : 8443) : flags.https_port;
    uint16_t bound = 0;
    auto started = StartTls(flags.address, https_port, flags.data_dir, *port, bound);
    if (!started.ok()) {
      std::cerr << "error: HTTPS: " << started.error().message
                << " (give --https-port N, or -1 for HTTP only)\n";
      return 2;
    }
    tls = std::move(started).value();
    WritePort(flags.https_port_file, bound);
  }
  WritePort(flags.port_file, *port);
  std::cerr << "partnercloud sandbox listening on http://" << flags.address << ":" << *port
            << " (/login /partnercenter /graph /arm /clc /blob /sandbox/control)\n"
            << "partnercloud sandbox SMTP mailbox on smtp://" << flags.address << ":" << *smtp
            << " (messages in GET /sandbox/control/state, \"mailbox\")\n";
  server.Run();
  return 0;
}

int RunGenerateUsage(const SandboxFlags& flags) {
  if (flags.rows < 0 || flags.customers < 1 || flags.resources < 1) {
    std::cerr << "error: --rows must be >= 0, --customers and --resources >= 1\n";
    return 2;
  }
  std::vector<sandbox::UsageSubscription> subs;
  Timestamp first_day = YearMonth::Of(2025, 1).value().Start();
  Timestamp until = Timestamp::max();
  if (!flags.alias.empty()) {
    // Usage for the Azure subscriptions a service bills to the alias, so that its import bills
    // them: this month from the 1st (last month's when today is the 1st) to yesterday.
    std::string url = flags.database.empty() ? "sqlite:data/partnercloud.db" : flags.database;
    auto db = store::Database::Open(url);
    if (!db.ok()) {
      std::cerr << "error: " << db.error().message << "\n";
      return 2;
    }
    auto tx = (*db)->Begin();
    if (!tx.ok()) {
      std::cerr << "error: " << tx.error().message << "\n";
      return 2;
    }
    auto rows = (*tx)->Query(
        "SELECT m.azure_subscription_id, m.customer_id, a.company_name, "
        "COALESCE(a.tenant_domain, ''), a.country, COALESCE(a.plan_subscription_id, '') "
        "FROM azure_subscriptions_map m JOIN billing_aliases a ON a.alias = m.billing_alias "
        "WHERE m.billing_alias = ? ORDER BY m.created_at",
        {flags.alias});
    if (!rows.ok()) {
      std::cerr << "error: " << rows.error().message << "\n";
      return 2;
    }
    for (const auto& r : *rows) {
      sandbox::UsageSubscription s;
      s.azure_subscription_id = r.Text(0);
      s.customer_id = r.Text(1);
      s.customer_name = r.Text(2);
      s.customer_domain = r.Text(3);
      s.customer_country = r.Text(4);
      s.plan_subscription_id = r.Text(5);
      subs.push_back(std::move(s));
    }
    if (subs.empty()) {
      std::cerr << "error: " << url << " bills no Azure subscription to alias " << flags.alias
                << " (onboard a provider for it first)\n";
      return 2;
    }
    until = std::chrono::floor<std::chrono::days>(Now());
    YearMonth month = YearMonth::Containing(until);
    first_day = month.Start() < until ? month.Start() : month.Prev().Start();
  }
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (!flags.out.empty() && flags.out != "-") {
    file.open(flags.out, std::ios::binary);
    if (!file) {
      std::cerr << "error: cannot write " << flags.out << "\n";
      return 2;
    }
    out = &file;
  }
  uint64_t seed = flags.seed.value_or(1);
  int64_t n = subs.empty() ? sandbox::GenerateUsageCsv(*out, flags.rows, flags.customers, seed,
                                                       flags.resources)
                           : sandbox::GenerateUsageCsv(*out, flags.rows, subs, seed,
                                                       flags.resources, first_day, until);
  out->flush();
  if (!*out) {
    std::cerr << "error: writing " << flags.out << " failed\n";
    return 2;
  }
  if (out != &std::cout) std::cerr << "wrote " << n << " rows to " << flags.out << "\n";
  if (subs.empty()) {
    std::cerr << "note: these rows are for " << flags.customers
              << " synthetic customers that no service knows (for benchmarks and a standalone "
                 "sandbox): imported into a service they are kept as usage of unknown "
                 "customers. For usage the service bills, give --alias ALIAS --database URL.\n";
  } else {
    std::cerr << "rows for " << subs.size() << " Azure subscription(s) billed to " << flags.alias
              << ", from " << FormatTimestamp(first_day).substr(0, 10) << "\n";
  }
  return 0;
}

}  // namespace

void AddSandboxCommand(CLI::App& app, std::function<void(int)> exit_with) {
  auto flags = std::make_shared<SandboxFlags>();
  auto* cmd = app.add_subcommand(
      "sandbox", "Serve emulations of Entra ID, Partner Center, Graph, ARM and CenturyLink Cloud");
  cmd->add_option("--address", flags->address, "Listen address (loopback only; default 127.0.0.1)");
  cmd->add_option("--port", flags->port, "Listen port (default 8081; 0 picks a free one)");
  cmd->add_option("--port-file", flags->port_file, "Write the bound port to this file");
  cmd->add_option("--https-port", flags->https_port,
                  "HTTPS port, serving the same routes with a certificate made on first start "
                  "and kept in the data folder (default 8443, or a free port when --port is 0; "
                  "-1: no HTTPS)");
  cmd->add_option("--https-port-file", flags->https_port_file,
                  "Write the bound HTTPS port to this file");
  cmd->add_option("--smtp-port", flags->smtp_port,
                  "SMTP mailbox port (default 0: a free one, printed and in GET state smtpPort)");
  cmd->add_option("--seed", flags->seed,
                  "Seed for ids, passwords and usage (default: random from the OS; a saved world "
                  "keeps its own)");
  cmd->add_option("--data", flags->data_dir,
                  "Data folder: the world is saved to DIR/sandbox.json on each change and "
                  "reloaded at start (default: memory only)");
  cmd->add_option("--usage-lag", flags->usage_lag,
                  "Seconds between rating a usage window and serving it, Partner Center's lag "
                  "(default 3600)");
  auto* gen = cmd->add_subcommand("generate-usage",
                                  "Write a Partner Center daily rated usage CSV (streamed)");
  gen->add_option("--rows", flags->rows, "Number of rows (default 1000)");
  gen->add_option("--customers", flags->customers, "Number of customers (default 10)");
  gen->add_option("--resources", flags->resources,
                  "Resources per meter and subscription (default 1: 2 to 6 lines per "
                  "subscription and day; more makes a file span fewer days)");
  gen->add_option("--seed", flags->seed, "Seed (default 1)");
  gen->add_option("--alias", flags->alias,
                  "Write usage for the Azure subscriptions the service bills to this alias (read "
                  "from --database), this month to yesterday; without it the customers are "
                  "synthetic");
  gen->add_option("--database", flags->database,
                  "The service's database, with --alias (default sqlite:data/partnercloud.db)");
  gen->add_option("--out", flags->out, "Output file (default standard output)");
  gen->callback([flags, exit_with] { exit_with(RunGenerateUsage(*flags)); });
  cmd->callback([flags, cmd, exit_with] {
    if (cmd->get_subcommands().empty()) exit_with(RunSandbox(*flags));
  });
}

BackgroundSandbox StartBackgroundSandbox(const std::string& address, uint16_t port,
                                         const std::string& data_dir,
                                         std::chrono::seconds usage_lag) {
  sandbox::SandboxOptions options;
  options.data_dir = data_dir;
  options.usage_lag = usage_lag;
  auto opened = sandbox::Sandbox::Open(options);
  if (!opened.ok()) {
    std::cerr << "error: sandbox: " << opened.error().message << "\n";
    return {};
  }
  static sandbox::Sandbox* sb = opened->release();  // lives until exit
  static auto* server =
      new http::Server(sandbox::SandboxServerOptions(address, port), sb->router(), nullptr);
  auto bound = server->Listen();
  if (!bound.ok()) {
    std::cerr << "error: sandbox: " << bound.error().message << "\n";
    return {};
  }
  BackgroundSandbox out{*bound, 0, sb->loaded()};
  uint16_t https = 0;
  auto tls = StartTls(address, port == 0 ? 0 : 8443, data_dir, *bound, https);
  if (tls.ok()) {
    static sandbox::TlsFront* front = tls->release();  // lives until exit
    (void)front;
    out.https_port = https;
  } else {
    std::cerr << "warning: sandbox HTTPS: " << tls.error().message << "\n";
  }
  auto smtp = sb->StartSmtp(address, 0);
  if (smtp.ok()) {
    std::cerr << "  sandbox SMTP mailbox: smtp://" << address << ":" << *smtp << "\n";
    out.smtp_port = *smtp;
  } else {
    std::cerr << "warning: sandbox SMTP mailbox: " << smtp.error().message << "\n";
  }
  std::thread([] { server->Run(); }).detach();
  return out;
}

}  // namespace pc::cli
