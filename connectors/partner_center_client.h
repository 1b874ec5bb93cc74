// Partner Center REST v1 client (api.partnercenter.microsoft.com; "<sandbox>/partnercenter").
//
// Every call sends MS-RequestId and MS-CorrelationId. The request id is the caller's idempotency
// key: the same logical call (a job's step) sends the same id on every retry, so Partner Center
// replays the first response instead of acting twice. Faults come back as PcFault values with
// Partner Center's numeric code, so the workflow can tell "already exists" (600061) from a real
// failure. A 401 refreshes the token once. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "connectors/entra_client.h"
#include "connectors/http_client.h"
#include "core/json.h"
#include "core/result.h"

namespace pc::connectors {

// Idempotency and tracing for one logical call.
struct PcCall {
  std::string request_id;      // MS-RequestId: stable across retries of this logical call
  std::string correlation_id;  // MS-CorrelationId: the job
};

// A name-based id in UUID form (SHA-256 of `name`): the same name always gives the same id.
std::string NameBasedId(std::string_view name);

// A Partner Center answer that is not a success.
struct PcFault {
  long status = 0;
  int64_t code = 0;     // ApiFault code (0 if none)
  std::string message;  // description or message
  std::chrono::milliseconds retry_after{0};
};

// A fault as an error (Unavailable), carrying its Retry-After.
Error FaultError(std::string_view what, const PcFault& fault);

// What a call returned: a JSON body on success, or the fault.
struct PcResult {
  long status = 0;
  json::value body;
  std::string raw;  // the body as received (numbers in `body` are doubles; money is read here)
  std::optional<PcFault> fault;
  bool ok() const { return !fault.has_value(); }
};

class PartnerCenterClient {
 public:
  PartnerCenterClient(HttpClient& http, TokenProvider& tokens, std::string base_url,
                      std::string partner_tenant);

  // One call. Returns Unavailable only when no answer came (after the HTTP client's retries);
  // every HTTP answer, success or fault, is a PcResult.
  Result<PcResult> Call(const std::string& method, const std::string& path,
                        const std::optional<json::value>& body, const PcCall& call,
                        const std::vector<std::pair<std::string, std::string>>& extra_headers = {});

  // HEAD /v1/domains/{domain}: true if the domain is taken.
  Result<bool> DomainTaken(const std::string& domain, const PcCall& call);
  // The customer whose domain is exactly `domain`, found with the starts_with filter.
  Result<std::optional<json::object>> FindCustomerByDomain(const std::string& domain,
                                                           const PcCall& call);
  // The Microsoft Customer Agreement template id (GET /v1/agreements).
  Result<std::string> CustomerAgreementTemplateId(const PcCall& call);

 private:
  HttpClient& http_;
  TokenProvider& tokens_;
  std::string base_url_;
  std::string partner_tenant_;
};

}  // namespace pc::connectors
