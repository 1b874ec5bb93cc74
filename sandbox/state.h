// The sandbox's in-memory world: fixtures, everything clients created, tokens, the controllable
// clock and the fault plan. One mutex guards it all; handlers lock `mu` for their whole body.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/http/message.h"
#include "core/json.h"
#include "core/time.h"
#include "sandbox/bounded_cache.h"
#include "sandbox/faults.h"
#include "sandbox/usage.h"

namespace pc::sandbox {

// Fixture identities (PRODUCT.md "Sandbox fixtures").
inline constexpr std::string_view kPartnerTenantId = "11111111-1111-4111-8111-111111111111";
inline constexpr std::string_view kPartnerDomain = "contoso-csp.onmicrosoft.com";
inline constexpr std::string_view kClientId = "22222222-2222-4222-8222-222222222222";
inline constexpr std::string_view kClientSecret = "sandbox-secret";
// Stands in for the refresh token a partner keeps in its vault after the consent flow.
inline constexpr std::string_view kFixtureRefreshToken = "sandbox-refresh-token";
inline constexpr std::string_view kClcPassword = "sandbox";
inline constexpr std::string_view kAzurePlanProductId = "DZH318Z0BPS6";
inline constexpr std::string_view kAzurePlanSkuId = "0001";
inline constexpr std::string_view kAzurePlanAvailabilityId = "DZH318Z0BML6";
inline constexpr std::string_view kBillingAccount = "sandbox-billing-account";

// Memory bounds against hostile clients.
inline constexpr size_t kMaxTokens = 10000;
inline constexpr size_t kMaxReplayEntries = 4096;
inline constexpr size_t kMaxReplayBytes = 32 * 1024 * 1024;
inline constexpr std::chrono::hours kReplayLifetime{24};
inline constexpr size_t kMaxCountKeys = 2048;
inline constexpr size_t kMaxExports = 64;
inline constexpr size_t kMaxMailboxMessages = 1000;
inline constexpr size_t kMaxMailboxBytes = 16 * 1024 * 1024;

struct ClcAccount {
  std::string alias, parent, business_name, address1, city, state, postal_code, country;
  std::string account_type;  // Customer | Reseller | ResellerCustomer | Internal | Demo
  std::string status = "Active";
};

struct ClcUser {
  std::string username, alias;
  std::vector<std::string> roles;
};

struct AccessToken {
  std::string tenant_id, audience;
  Timestamp expires;
};

struct AzureSubscription {
  std::string subscription_id, tenant_id, display_name, plan_subscription_id;
  Timestamp created;
  std::map<std::string, int> registering;        // namespace -> polls left until Registered
  std::map<std::string, std::string> providers;  // namespace -> registrationState
  std::optional<Timestamp> cancelled;            // entitlement cancel asked (support_upstream.h)
};

// One Graph billing export (partner-center-api.md §7a): what was asked, and the usage it
// covers as at the request. Blobs are generated from it on each download.
struct UsageExport {
  std::string operation_id, manifest_id;
  std::string invoice_id;  // billed export; "" for unbilled
  bool full = true;        // attributeSet full (else basic)
  bool no_data = false;    // the operation fails with "No data available"
  YearMonth month;
  Timestamp until;  // usage before this day
  Timestamp created;
  std::vector<UsageSubscription> subscriptions;
  size_t rows = 0;
  int polls = 0;  // operation GETs so far: the first one sees "running"
};

struct State {
  std::mutex mu;

  // Clock: real time plus an offset that POST /sandbox/control/clock moves.
  std::chrono::microseconds clock_offset{0};
  // When set, the clock stands still at this time (tests that need usage anchored at exact
  // creation times: POST clock {"set":..., "freeze":true}).
  std::optional<Timestamp> frozen_at;
  Timestamp Now() const { return frozen_at ? *frozen_at : pc::Now() + clock_offset; }

  // Partner Center's lag: usage rated in a window appears this long after the window ends.
  std::chrono::seconds usage_lag{3600};
  // Usage is served as rated by this time (the sandbox clock minus the lag).
  Timestamp UsageUntil() const { return Now() - usage_lag; }

  uint64_t seed = 1;
  SeededRandom ids{1};  // every generated id comes from here: same seed, same ids
  FaultPlan faults;
  std::string clc_signing_key;  // HS256 key, derived from the seed

  std::map<std::string, ClcAccount> clc_accounts;
  std::map<std::string, ClcUser> clc_users;
  // Bounded by count and by the sandbox clock (kMaxTokens each): memory stays flat however
  // many tokens clients ask for. The fixture refresh token never expires.
  BoundedCache<AccessToken> tokens{kMaxTokens, kMaxTokens};          // access token -> grant
  BoundedCache<std::string> refresh_tokens{kMaxTokens, kMaxTokens};  // refresh token -> tenant

  // Partner Center. Resources are kept as their wire bodies (camelCase) plus bookkeeping.
  std::vector<json::object> customers;          // in creation order
  std::map<std::string, Timestamp> created_at;  // id -> creation time (consistency delay)
  std::map<std::string, std::vector<json::object>> agreements;  // customer id -> acceptances
  std::map<std::string, json::object> carts;                    // cart id -> cart
  std::vector<json::object> orders;
  std::vector<json::object> subscriptions;  // Azure plan subscriptions
  std::vector<AzureSubscription> azure_subscriptions;
  std::vector<json::object> application_consents;
  std::vector<json::object> service_requests;
  // "METHOD target requestId" -> first response, kept kReplayLifetime by the sandbox clock,
  // at most kMaxReplayEntries entries and kMaxReplayBytes of bodies.
  BoundedCache<http::Response> replay{kMaxReplayEntries, kMaxReplayBytes};

  // Retry-After bookkeeping: the last 429 of each logical call (Partner Center: method, target
  // and MS-RequestId; ARM: method and target), and for each retry that followed one, how long
  // the client waited against how long it was asked to. Bounded.
  struct Throttle {
    Timestamp at;
    int64_t retry_after_ms = 0;
  };
  std::map<std::string, Throttle> throttled;
  std::vector<json::object> retries_after_throttle;

  // ARM.
  std::map<std::string, json::object> role_definitions;    // full id -> resource (custom roles)
  std::map<std::string, json::object> role_assignments;    // full id -> resource
  std::map<std::string, json::object> policy_assignments;  // full id -> resource
  std::map<std::string, json::object> resources;           // full id -> resource
  std::map<std::string, json::object> aliases;             // alias name -> response
  int64_t arm_reads_remaining = 11999, arm_writes_remaining = 1199;

  // Graph.
  std::vector<json::object> users;               // each with "tenantId"
  std::vector<json::object> service_principals;  // each with "tenantId"
  std::vector<UsageExport> exports;              // oldest first, at most kMaxExports

  // The SMTP mailbox: messages oldest first, at most kMaxMailboxMessages and kMaxMailboxBytes.
  std::vector<json::object> mailbox;
  size_t mailbox_bytes = 0;
  int smtp_port = 0;  // 0 until the mailbox listens; kept across Reset
  void AddMail(json::object message, size_t bytes);

  // CLC invoice sink.
  std::vector<json::object> invoice_lines;

  std::map<std::string, int64_t> request_counts;  // "METHOD route" -> count
  // Counts one request under `key`; past kMaxCountKeys distinct keys, under "(other)".
  void CountRequest(const std::string& key);

  // Clears everything and loads the fixtures again with `seed`.
  void Reset(uint64_t new_seed);

  // Persistence (`--data DIR`): the world clients built (everything but tokens, the replay
  // cache, exports, faults and counters) as one JSON file, written atomically (temporary file,
  // fsync, rename) after each change when `data_file` is set. Callers hold `mu`.
  std::string data_file;
  Status Save() const;
  // Replaces the world with the one in `path` (fixtures are loaded again, with the saved seed).
  Status Load(const std::string& path);
  // True when `id` was created less than the consistency delay ago (reads must not see it).
  bool Hidden(const std::string& id) const;

  const json::object* FindCustomer(const std::string& id) const;
  AzureSubscription* FindAzureSubscription(const std::string& id);
  // Creates an Azure subscription for a customer tenant (and its entitlement on the plan).
  AzureSubscription& AddAzureSubscription(const std::string& subscription_id,
                                          const std::string& tenant_id,
                                          const std::string& display_name);
  // Every Azure subscription the sandbox created, with its customer, for usage generation.
  std::vector<UsageSubscription> UsageSubscriptions() const;
  // The tenant ids tokens can be issued for: the partner's and every customer's.
  bool KnownTenant(const std::string& tenant) const;
  std::string TenantIdFor(const std::string& tenant_or_domain) const;
  // A valid, unexpired bearer token from the Authorization header, or nullopt.
  std::optional<AccessToken> Bearer(const http::Request& req) const;
  json::object Snapshot() const;
};

// Request helpers shared by the emulated services.
std::string Header(const http::Request& req, std::string_view name);
// Case-insensitive property lookup (Partner Center binds request properties that way).
const json::value* FindCi(const json::object& o, std::string_view key);
std::string StringCi(const json::object& o, std::string_view key);
// Serializes `v`, writing strings made by DecimalJson() as bare JSON numbers (exact decimals).
std::string SerializeExact(const json::value& v);
json::value DecimalJson(const std::string& decimal_text);
http::Response ExactJsonResponse(http::Status status, const json::value& body);
std::string Iso(Timestamp t);  // "2026-11-22T10:04:05Z"
// "http://<Host header>" (or http://127.0.0.1 when it is missing or odd; "https://<Host>" when
// the Host's port is this process's TLS front): the sandbox's own base URL, for absolute links such
// as Location headers and blob URLs.
std::string BaseUrl(const http::Request& req);

}  // namespace pc::sandbox
