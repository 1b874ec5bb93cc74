// The HTTP API: routes, authentication of requests, and the mapping of service results to
// HTTP. Handlers here only parse, authorize through the services, and format.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "core/http/metrics.h"
#include "core/http/router.h"
#include "identity/identity.h"
#include "store/store.h"

namespace pc::onboarding {
class OnboardingService;
}
namespace pc::support {
class SupportService;
}
namespace pc::billing {
class ClcTokenVerifier;
struct InvoiceLine;
}  // namespace pc::billing

namespace pc::api {

struct ApiOptions {
  bool secure_cookies = false;  // add `Secure` to the session cookie (behind HTTPS)
  std::string version = "0.1.0";
  // Gzip usage imports: larger or more expanding files are answered 413 (billing.import_*).
  uint64_t import_max_expanded_bytes = uint64_t{16} << 30;
  uint64_t import_max_expansion_ratio = 200;
  uint64_t import_body_limit = uint64_t{2} << 30;  // largest usage file sent as a request body
  size_t max_text_field = 4000;  // longest string anywhere in a JSON request body (characters)
  std::string metrics_token;     // Bearer token for /metrics; empty: loopback clients only
  // Serve the browser app at "/" from web_root (see api/web_routes.h); off in API-only tests.
  bool serve_web_app = false;
  std::string web_root;
  std::string partner_name = "Contoso CSP";  // partner.name: InvoiceIssuerName of FOCUS exports
};

// The services every route needs. Built once by the caller, by name (not by position).
struct ApiServices {
  store::Database& db;
  identity::IdentityService& identity;
  http::HttpMetrics& metrics;
};

// Optional capabilities (onboarding, billing's CLC token check, ...), each registered by name.
// A route module looks its capabilities up once when it adds its routes (BuildRouter; so provide
// every capability before it) and again in its handlers, which answer without one as the module
// says (e.g. 503). The lookups made while adding routes are remembered: CheckComplete() at
// startup names every capability a route asked for that was not provided, so a process cannot
// start with a capability forgotten. A new capability is one Provide where the service is built
// and its lookups in its own route module.
// Filled on one thread; BuildRouter seals it, after which it is read-only and thread-safe.
class Capabilities {
 public:
  // Registers `service` as `name`. Throws std::logic_error if `name` is provided twice.
  template <class T>
  void Provide(std::string_view name, T& service) {
    Put(name, typeid(T), &service);
  }
  // The service registered as `name`, or null. Throws std::logic_error if it was registered with
  // another type (a wiring bug, found at startup since routes look up when they are added).
  template <class T>
  T* Find(std::string_view name) const {
    return static_cast<T*>(Get(name, typeid(T)));
  }
  // FailedPrecondition naming each capability looked up but not provided; OK otherwise.
  Status CheckComplete() const;
  std::vector<std::string> Provided() const;
  // No Provide after this; lookups are no longer remembered (BuildRouter calls it).
  void Seal() { sealed_ = true; }

 private:
  struct Entry {
    const std::type_info* type;
    void* service;
  };
  void Put(std::string_view name, const std::type_info& type, void* service);
  void* Get(std::string_view name, const std::type_info& type) const;
  std::map<std::string, Entry, std::less<>> provided_;
  mutable std::set<std::string, std::less<>> wanted_;
  bool sealed_ = false;
};

// The capability names in use (one constant per capability; the type is checked on lookup).
namespace capability {
// onboarding::OnboardingService: the onboarding routes (503 without it).
inline constexpr std::string_view kOnboarding = "onboarding";
// WorkQueued: wakes the job workers after a job is queued (without it they find it by polling).
inline constexpr std::string_view kWorkQueued = "work-queued";
// billing::ClcTokenVerifier: CLC bearer tokens for the seed's billingestimate API (401 without).
inline constexpr std::string_view kClcTokens = "clc-tokens";
// InvoicePoster: the invoice sink month close posts to (without it closes record lines and
// posting fails until one is set).
inline constexpr std::string_view kInvoicePoster = "invoice-poster";
// support::SupportService: the support desk's routes and metrics (503 without it).
inline constexpr std::string_view kSupportDesk = "support-desk";
// webhooks::WebhookService: the webhook routes (503 without it).
inline constexpr std::string_view kWebhooks = "webhooks";
// governance::GovernanceService: the governance routes (503 without it).
inline constexpr std::string_view kGovernance = "governance";
}  // namespace capability

using WorkQueued = std::function<void()>;
using InvoicePoster = std::function<Status(const billing::InvoiceLine&)>;

// What the handlers need; owned by the caller and alive while the server runs.
struct ApiContext {
  explicit ApiContext(const ApiServices& services, ApiOptions opts = {})
      : db(services.db),
        identity(services.identity),
        metrics(services.metrics),
        options(std::move(opts)) {}
  ApiContext(const ApiContext&) = delete;
  ApiContext& operator=(const ApiContext&) = delete;

  store::Database& db;
  identity::IdentityService& identity;
  http::HttpMetrics& metrics;
  ApiOptions options;
  Capabilities capabilities;
};

// Every route of the service, in one router.
http::Router BuildRouter(ApiContext& ctx);

// The OpenAPI 3 document served at /api/v1/openapi.json (compiled in from api/openapi.json).
std::string_view OpenApiDocument();

}  // namespace pc::api
