// The CenturyLink Cloud side of billing: verifying a CLC bearer token for a billing alias (the
// seed's billingestimate API is authorized that way) and posting invoice lines to the CLC
// invoice sink with the partner's own CLC credentials.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "billing/month_close.h"
#include "connectors/clc_client.h"
#include "core/result.h"

namespace pc::billing {

// Asks CLC whether a bearer token may read a billing alias (GET /v2/accounts/{alias}: CLC
// answers 200 for the token's own account and its sub-accounts) and caches the verdict for
// `ttl`, keyed by SHA-256(token, alias): the token itself is never kept. Upstream failures are
// not cached. Thread-safe.
class ClcTokenVerifier {
 public:
  ClcTokenVerifier(connectors::ClcClient& clc, std::chrono::seconds ttl);

  // OK when CLC accepts the token for the alias. Errors: Unauthenticated (CLC refused the
  // token), PermissionDenied (alias outside its hierarchy), NotFound (CLC has no such alias),
  // Unavailable (CLC could not be asked).
  Status Verify(const std::string& token, const std::string& alias);
  int64_t upstream_calls() const { return upstream_calls_; }

 private:
  struct Verdict {
    std::optional<Error> error;
    std::chrono::steady_clock::time_point expires;
  };
  connectors::ClcClient& clc_;
  std::chrono::seconds ttl_;
  std::mutex mu_;
  std::map<std::string, Verdict> cache_;
  int64_t upstream_calls_ = 0;
};

// A LinePoster that logs in to CLC as the partner's service user (partner.clc_username /
// partner.clc_password), keeps the bearer token in memory, logs in again once on a 401, and
// posts each line to POST /v2/invoice/{alias}/lines with its key. Thread-safe.
LinePoster MakeClcLinePoster(connectors::ClcClient& clc, std::string username,
                             std::string password);

}  // namespace pc::billing
