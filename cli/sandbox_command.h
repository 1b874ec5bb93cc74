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

// Starts a sandbox on address:port in a background thread (for `partnercloud demo`). Returns
// the bound port, or 0 with a message on stderr. The sandbox lives until the process exits.
uint16_t StartBackgroundSandbox(const std::string& address, uint16_t port);

}  // namespace pc::cli
