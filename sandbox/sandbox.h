// Sandbox: one HTTP router serving faithful emulations of every upstream the service calls,
// each under its prefix: /login (Entra ID), /partnercenter (Partner Center v1), /graph
// (Microsoft Graph), /arm (Azure Resource Manager), /clc (CenturyLink Cloud API v2), plus the
// control API /sandbox/control (clock, faults, reset, seed, state, azure-subscriptions).
// All state is in memory behind one mutex; Handle() is thread-safe.
#pragma once

#include <memory>

#include "core/http/router.h"
#include "core/http/server.h"
#include "sandbox/state.h"

namespace pc::sandbox {

class Sandbox {
 public:
  // Loads the fixtures with `seed`.
  explicit Sandbox(uint64_t seed = 1);
  ~Sandbox();

  // The router to give to http::Server. It outlives nothing: keep the Sandbox alive.
  const http::Router& router() const { return outer_; }
  // Routes one request: fault injection, the service's router, per-route counts.
  http::Response Handle(http::RequestContext& ctx);

  State& state() { return state_; }

 private:
  http::Response Control(http::RequestContext& ctx);
  State state_;
  http::Router outer_;
  http::Router entra_, partner_center_, graph_, arm_, clc_;
};

// Server options suited to the sandbox (larger thread pool: timeout faults hold threads).
http::ServerOptions SandboxServerOptions(std::string address, uint16_t port);

}  // namespace pc::sandbox
