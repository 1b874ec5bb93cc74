// CenturyLink Cloud API v2 client: login, account details, the sub-account listing and the
// invoice-line sink. Base URL "https://api.ctl.io" in production, "<sandbox>/clc" in the demo;
// paths start at /v2. Bearer tokens are passed in by the caller and never logged.
#pragma once

#include <string>
#include <vector>

#include "connectors/http_client.h"
#include "core/json.h"
#include "core/result.h"

namespace pc::connectors {

struct ClcLogin {
  std::string user_name;
  std::string account_alias;  // the user's home account
  std::string location_alias;
  std::vector<std::string> roles;  // v2 role strings: "AccountAdmin", "BillingAdmin", ...
  std::string bearer_token;        // 14 days; keep in memory only
};

struct ClcAccount {
  std::string alias;
  std::string parent_alias;
  std::string business_name;
  std::string address_line1;
  std::string city;
  std::string state_province;
  std::string postal_code;
  std::string country;  // as CLC sends it ("US", "USA", "GB", ...)
  std::string status;   // Active | Disabled | Deleted | Demo
  std::string
      account_type;  // Customer | Reseller | ResellerCustomer | Internal | Demo ("" if absent)
};

class ClcClient {
 public:
  // `http` must outlive the client.
  ClcClient(HttpClient& http, std::string base_url);

  // Errors: Unauthenticated with CLC's own message for bad credentials; Unavailable when CLC
  // cannot be reached or fails.
  Result<ClcLogin> Login(const std::string& username, const std::string& password);
  // Errors: NotFound, PermissionDenied (outside the caller's hierarchy), Unauthenticated.
  Result<ClcAccount> GetAccount(const std::string& token, const std::string& alias);
  // Every descendant of `alias` (sandbox-defined listing, see README).
  Result<std::vector<ClcAccount>> ListSubAccounts(const std::string& token,
                                                  const std::string& alias);
  // Posts one line to the invoice sink, POST /v2/invoice/{alias}/lines (see README): idempotent
  // on line["key"]. Errors: Conflict when the key was posted with a different body,
  // Unauthenticated, PermissionDenied (alias outside the token's hierarchy), Unavailable.
  Status PostInvoiceLine(const std::string& token, const std::string& alias,
                         const json::object& line);

 private:
  Result<json::value> Call(const std::string& method, const std::string& path,
                           const std::string& token, const std::string& body);
  HttpClient& http_;
  std::string base_url_;
};

}  // namespace pc::connectors
