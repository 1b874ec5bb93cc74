// The HTTP API: routes, authentication of requests, and the mapping of service results to
// HTTP. Handlers here only parse, authorize through the services, and format.
#pragma once

#include <functional>
#include <string>

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
};

// What the handlers need; owned by the caller and alive while the server runs.
struct ApiContext {
  store::Database& db;
  identity::IdentityService& identity;
  http::HttpMetrics& metrics;
  ApiOptions options;
  onboarding::OnboardingService* onboarding = nullptr;  // null: onboarding routes answer 503
  std::function<void()> on_work_queued;                 // wakes the job workers
  // Billing: CLC bearer tokens for the seed's billingestimate API (null: refused with 401) and
  // the invoice sink month close posts to (null: closes record lines, posting fails until set).
  billing::ClcTokenVerifier* clc_tokens = nullptr;
  std::function<Status(const billing::InvoiceLine&)> post_invoice_line;
  support::SupportService* support = nullptr;  // null: the support routes answer 503
};

// Every route of the service, in one router.
http::Router BuildRouter(ApiContext& ctx);

// The OpenAPI 3 document served at /api/v1/openapi.json (compiled in from api/openapi.json).
std::string_view OpenApiDocument();

}  // namespace pc::api
