#include "cli/sandbox_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "core/http/server.h"
#include "sandbox/sandbox.h"
#include "sandbox/usage.h"

namespace pc::cli {

namespace {

struct SandboxFlags {
  std::string address = "127.0.0.1";
  int port = 8081;
  int smtp_port = 0;
  std::string port_file;
  uint64_t seed = 1;
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
  sandbox::Sandbox sb(flags.seed);
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
  int64_t n =
      sandbox::GenerateUsageCsv(*out, flags.rows, flags.customers, flags.seed, flags.resources);
  out->flush();
  if (!*out) {
    std::cerr << "error: writing " << flags.out << " failed\n";
    return 2;
  }
  if (out != &std::cout) std::cerr << "wrote " << n << " rows to " << flags.out << "\n";
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
  cmd->add_option("--smtp-port", flags->smtp_port,
                  "SMTP mailbox port (default 0: a free one, printed and in GET state smtpPort)");
  cmd->add_option("--seed", flags->seed, "Seed for ids and usage (default 1)");
  auto* gen = cmd->add_subcommand("generate-usage",
                                  "Write a Partner Center daily rated usage CSV (streamed)");
  gen->add_option("--rows", flags->rows, "Number of rows (default 1000)");
  gen->add_option("--customers", flags->customers, "Number of customers (default 10)");
  gen->add_option("--resources", flags->resources,
                  "Resources per meter and subscription (default 1: 2 to 6 lines per "
                  "subscription and day; more makes a file span fewer days)");
  gen->add_option("--seed", flags->seed, "Seed (default 1)");
  gen->add_option("--out", flags->out, "Output file (default standard output)");
  gen->callback([flags, exit_with] { exit_with(RunGenerateUsage(*flags)); });
  cmd->callback([flags, cmd, exit_with] {
    if (cmd->get_subcommands().empty()) exit_with(RunSandbox(*flags));
  });
}

BackgroundSandbox StartBackgroundSandbox(const std::string& address, uint16_t port) {
  static auto* sb = new sandbox::Sandbox(1);  // lives until exit
  static auto* server =
      new http::Server(sandbox::SandboxServerOptions(address, port), sb->router(), nullptr);
  auto bound = server->Listen();
  if (!bound.ok()) {
    std::cerr << "error: sandbox: " << bound.error().message << "\n";
    return {};
  }
  BackgroundSandbox out{*bound, 0};
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
