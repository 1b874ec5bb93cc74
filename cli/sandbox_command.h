// `partnercloud sandbox` (serve the emulated upstreams) and `partnercloud sandbox
// generate-usage` (a daily rated usage CSV for benchmarks).
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace pc::cli {

// Registers the `sandbox` subcommand (with its `generate-usage` subcommand) on `app`. The
// callbacks run the command and call `exit_with` with the process exit code.
void AddSandboxCommand(CLI::App& app, std::function<void(int)> exit_with);

struct BackgroundSandbox {
  uint16_t http_port = 0;   // 0: it could not start (a message is on stderr)
  uint16_t smtp_port = 0;   // 0: no mailbox
  uint16_t https_port = 0;  // 0: no HTTPS (a warning is on stderr)
  bool loaded = false;      // the world was loaded from the data folder (else it is new)
};

// Starts a sandbox on address:port (and HTTPS on 8443, or a free port when `port` is 0, with
// the TLS files in `data_dir`/tls), and its SMTP mailbox on a free port, in a background thread
// (for `partnercloud demo`), with its world saved in `data_dir`/sandbox.json (loaded from
// there when present; otherwise a new world with a random seed). The sandbox lives until the
// process exits.
BackgroundSandbox StartBackgroundSandbox(const std::string& address, uint16_t port,
                                         const std::string& data_dir,
                                         std::chrono::seconds usage_lag);

}  // namespace pc::cli
