// `partnercloud sandbox` (serve the emulated upstreams) and `partnercloud sandbox
// generate-usage` (a daily rated usage CSV for benchmarks).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace pc::cli {

// Registers the `sandbox` subcommand (with its `generate-usage` subcommand) on `app`. The
// callbacks run the command and call `exit_with` with the process exit code.
void AddSandboxCommand(CLI::App& app, std::function<void(int)> exit_with);

struct BackgroundSandbox {
  uint16_t http_port = 0;  // 0: it could not start (a message is on stderr)
  uint16_t smtp_port = 0;  // 0: no mailbox
};

// Starts a sandbox on address:port, and its SMTP mailbox on a free port, in a background thread
// (for `partnercloud demo`). The sandbox lives until the process exits.
BackgroundSandbox StartBackgroundSandbox(const std::string& address, uint16_t port);

}  // namespace pc::cli
