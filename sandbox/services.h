// Route tables of the emulated upstreams. Each Add*Routes registers the service's routes (with
// its prefix) on its own Router; each *Error builds that service's own error body. Handlers lock
// State::mu. Internal to the sandbox library.
#pragma once

#include "core/http/router.h"
#include "sandbox/state.h"

namespace pc::sandbox {

void AddEntraRoutes(http::Router& router, State& state);  // /login
// True for Entra paths without the /login prefix (/{tenant}/v2.0/.well-known/..., /{tenant}/
// oauth2/..., /{tenant}/discovery/...): clients whose authority host is the sandbox's origin.
bool IsEntraRootPath(std::string_view path);
void AddPartnerCenterRoutes(http::Router& router, State& state);  // /partnercenter
void AddGraphRoutes(http::Router& router, State& state);          // /graph
void AddArmRoutes(http::Router& router, State& state);            // /arm
void AddClcRoutes(http::Router& router, State& state);            // /clc
// The Graph billing export (/graph/v1.0/reports/partners/billing/...), on the Graph router.
void AddBillingExportRoutes(http::Router& router, State& state);
// The export's blobs, as Azure Blob Storage serves them (/blob/{container}/...).
void AddBlobRoutes(http::Router& router, State& state);

// An ARM path or id in canonical form: one slash between segments, none at the end, and ARM's
// own segments (subscriptions, resourceGroups, providers, Microsoft.Authorization, ...) in their
// canonical case whatever case they were sent in ("/resourcegroups/" -> "/resourceGroups/").
std::string NormalizeArmPath(std::string_view path);

// Entra: {"error":"invalid_request","error_description":"AADSTS900144: ...","error_codes":[..]}.
http::Response EntraError(http::Status status, std::string_view error, int aadsts,
                          std::string_view description);
// Partner Center ApiFault: {"code":N,"description":"...","data":[],"source":"PartnerFD"}.
http::Response PartnerCenterFault(http::Status status, int code, std::string_view description,
                                  std::string_view error_name = "");
// Partner Center gateway 429: {"statusCode":429,"message":"Rate limit is exceeded. ..."}.
http::Response PartnerCenterThrottled(int retry_after_seconds);
// ARM / Graph: {"error":{"code":"...","message":"..."}} (Graph adds innerError).
http::Response ArmError(http::Status status, std::string_view code, std::string_view message);
http::Response GraphError(http::Status status, std::string_view code, std::string_view message);
// Azure Storage: <?xml ...?><Error><Code>...</Code><Message>...</Message></Error>.
http::Response BlobStorageError(http::Status status, std::string_view code,
                                std::string_view message);
// CLC: {"message":"..."}.
http::Response ClcError(http::Status status, std::string_view message);

// The service principal an application consent creates in a customer tenant (Graph shape, plus
// "tenantId"); its object id is derived from (seed, tenant, appId), so the same consent always
// gives the same id. Idempotent. Callers hold State::mu.
const json::object& AddServicePrincipal(State& state, const std::string& tenant_id,
                                        const std::string& app_id, const std::string& display_name);
// Removes it again (the consent was deleted). Callers hold State::mu.
void RemoveServicePrincipal(State& state, const std::string& tenant_id, const std::string& app_id);

// The month of a sandbox invoice id (GET /v1/invoices): "G1" + YYYYMM, e.g. G100202511.
std::optional<YearMonth> InvoiceMonth(const std::string& id);

// The HTTP form body "a=b&c=d" (application/x-www-form-urlencoded), decoded.
std::map<std::string, std::string> ParseForm(std::string_view body);

}  // namespace pc::sandbox
