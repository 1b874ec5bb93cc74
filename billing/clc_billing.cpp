#include "billing/clc_billing.h"

#include <memory>

#include "core/random.h"

namespace pc::billing {

ClcTokenVerifier::ClcTokenVerifier(connectors::ClcClient& clc, std::chrono::seconds ttl)
    : clc_(clc), ttl_(ttl) {}

Status ClcTokenVerifier::Verify(const std::string& token, const std::string& alias) {
  const std::string key = Sha256Hex(token + "\n" + alias);
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.expires > now) {
      if (it->second.error) return *it->second.error;
      return {};
    }
  }
  auto account = clc_.GetAccount(token, alias);
  std::optional<Error> error;
  if (!account.ok()) {
    error = account.error();
    if (error->code == ErrorCode::kUnavailable || error->code == ErrorCode::kInternal) {
      return *error;  // not a verdict: ask again next time
    }
    if (error->code == ErrorCode::kInvalidArgument) {
      error = Unauthenticated("CenturyLink Cloud refused the bearer token: " + error->message);
    }
  }
  std::lock_guard lock(mu_);
  ++upstream_calls_;
  if (cache_.size() > 100000) {
    std::erase_if(cache_, [&](const auto& e) { return e.second.expires <= now; });
    if (cache_.size() > 100000) cache_.clear();
  }
  cache_[key] = Verdict{error, now + ttl_};
  if (error) return *error;
  return {};
}

LinePoster MakeClcLinePoster(connectors::ClcClient& clc, std::string username,
                             std::string password) {
  struct Session {
    std::mutex mu;
    std::string token;
  };
  auto session = std::make_shared<Session>();
  return [&clc, username = std::move(username), password = std::move(password),
          session](const InvoiceLine& line) -> Status {
    auto month = YearMonth::Parse(line.invoice_month);
    if (!month.ok()) return month.error();
    json::object body{
        {"key", line.key},      {"year", month->year()},           {"month", month->month()},
        {"quantity", 1},        {"description", line.description}, {"unitCost", line.amount},
        {"serviceLocation", ""}};
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::string token;
      {
        std::lock_guard lock(session->mu);
        if (session->token.empty()) {
          auto login = clc.Login(username, password);
          if (!login.ok()) {
            return Error(login.error().code,
                         "CenturyLink Cloud login of the partner's billing user '" + username +
                             "' failed: " + login.error().message);
          }
          session->token = login->bearer_token;
        }
        token = session->token;
      }
      Status posted = clc.PostInvoiceLine(token, line.billing_alias, body);
      if (posted.ok() || posted.error().code != ErrorCode::kUnauthenticated) return posted;
      std::lock_guard lock(session->mu);
      if (session->token == token) session->token.clear();  // stale: log in again once
    }
    return Unauthenticated("CenturyLink Cloud refused the partner's billing user's token");
  };
}

}  // namespace pc::billing
