// Sandbox: one HTTP router serving faithful emulations of every upstream the service calls,
// each under its prefix: /login (Entra ID), /partnercenter (Partner Center v1), /graph
// (Microsoft Graph), /arm (Azure Resource Manager), /clc (CenturyLink Cloud API v2), /blob (the
// Graph billing export's blobs, as Azure Blob Storage serves them), plus the
// control API /sandbox/control (clock, faults, reset, seed, state, azure-subscriptions).
// All state is in memory behind one mutex; Handle() is thread-safe.
#pragma once

#include <memory>
#include <optional>

#include "core/http/router.h"
#include "core/http/server.h"
#include "sandbox/arm_traffic.h"
#include "sandbox/rate_limits.h"
#include "sandbox/smtp.h"
#include "sandbox/state.h"

namespace pc::sandbox {

struct SandboxOptions {
  // Seed of ids, passwords and usage. Unset: a random one from the operating system (ids are
  // random per installation); tests set one to get the same ids every run.
  std::optional<uint64_t> seed;
  // Data folder: the world is saved to DIR/sandbox.json after each change and loaded from it at
  // start (the saved seed and id sequence win over `seed`). Empty: in memory only.
  std::string data_dir;
  // Partner Center's lag between rating a usage window and serving it.
  std::chrono::seconds usage_lag{3600};
};

// A seed from the operating system's random source (53 bits, exact as a JSON number).
uint64_t RandomSeed();

class Sandbox {
 public:
  // Loads the fixtures with `seed`.
  explicit Sandbox(uint64_t seed = 1);
  // Loads the saved world from options.data_dir when there is one, else the fixtures.
  // Errors: a state file that cannot be read or written.
  static Result<std::unique_ptr<Sandbox>> Open(const SandboxOptions& options);
  // "loaded" or "new" (after Open), for the start message.
  bool loaded() const { return loaded_; }
  ~Sandbox();

  // The router to give to http::Server. It outlives nothing: keep the Sandbox alive.
  const http::Router& router() const { return outer_; }
  // Routes one request: fault injection, the service's router, per-route counts.
  http::Response Handle(http::RequestContext& ctx);

  State& state() { return state_; }

  // Starts the SMTP mailbox (loopback, `port` 0 = a free one); its messages appear in GET
  // /sandbox/control/state as `mailbox` and its port as `smtpPort`. Returns the bound port.
  [[nodiscard]] Result<uint16_t> StartSmtp(const std::string& address, uint16_t port);

 private:
  http::Response Control(http::RequestContext& ctx);
  // Saves the world after a change (callers hold state_.mu); a failure is logged once.
  void SaveLocked();
  bool loaded_ = false;
  bool save_failed_ = false;
  State state_;
  http::Router outer_;
  http::Router entra_, partner_center_, graph_, arm_, clc_, blob_;
  std::unique_ptr<SmtpMailbox> smtp_;  // after state_: stops before state_ goes
  RateLimits rate_limits_;             // Partner Center and ARM limits (sandbox/rate_limits.h)
  ArmTraffic arm_traffic_;             // ARM requests per second and subscription (arm_traffic.h)
};

// Server options suited to the sandbox (larger thread pool: timeout faults hold threads).
http::ServerOptions SandboxServerOptions(std::string address, uint16_t port);

}  // namespace pc::sandbox
