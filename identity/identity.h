// Identity: organizations, users, roles, sessions, API tokens, login throttling and the audit
// log. Every authorization decision about users, organizations and audit entries is made here,
// not in the HTTP handlers. Every change is written to the audit log in the same transaction.
// Thread-safe: one IdentityService is shared by all request threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "core/time.h"
#include "identity/password.h"
#include "store/store.h"

namespace pc::identity {

enum class Role { kOrgAdmin, kOrgMember, kOperator, kSupportAgent };

// "org_admin", "org_member", "operator", "support_agent".
std::string_view RoleName(Role role);
Result<Role> ParseRole(std::string_view name);
// Operators and support agents are the partner's own staff.
bool IsPartnerStaff(Role role);

struct Organization {
  std::string id;
  std::string name;
  std::string kind;  // "customer" or "partner"
  std::string created_at;
};

struct User {
  std::string id;
  std::string organization_id;
  std::string email;
  std::string name;
  Role role = Role::kOrgMember;
  bool disabled = false;
  std::string created_at;
  std::string updated_at;
};

// Who is making a request, and how they proved it.
struct Principal {
  User user;
  Organization organization;
  enum class Via { kSession, kApiToken, kSystem } via = Via::kSession;
  std::string credential_id;  // session or API token id
  std::string client_addr;
  std::string csrf_hash;  // sessions only
};

// A principal for command-line tools run by the machine's administrator (`partnercloud user
// add`): allowed everything, audited as "cli".
Principal SystemPrincipal();

struct LoginResult {
  std::string token;       // session token (cookie value and Bearer token)
  std::string csrf_token;  // required in X-CSRF-Token on cookie-authenticated writes
  std::string expires_at;
  User user;
  Organization organization;
};

struct ApiToken {
  std::string id;
  std::string name;
  std::string created_at;
  std::optional<std::string> expires_at;
  std::optional<std::string> last_used_at;
  std::optional<std::string> token;  // only in the answer to CreateApiToken
};

struct AuditEntry {
  std::string id;
  std::string at;
  std::optional<std::string> actor_user_id;
  std::string actor_email;
  std::optional<std::string> organization_id;
  std::string action;
  std::string target_type;
  std::string target_id;
  std::string client_addr;
  json::value detail;
};

struct NewUser {
  std::string organization_id;
  std::string email;
  std::string name;
  Role role = Role::kOrgMember;
  std::string password;
};

struct UserChanges {
  std::optional<std::string> name;
  std::optional<Role> role;
  std::optional<bool> disabled;
  std::optional<std::string> password;
  // Required (and checked) when users change their own password.
  std::optional<std::string> current_password;
};

struct IdentityOptions {
  std::chrono::seconds session_ttl{12 * 3600};
  // Login throttling: after this many failures within `failure_window`, further attempts for
  // the account (or from the address) are refused with 429 for a lockout that doubles with each
  // further failure, from `base_lockout` up to `max_lockout`.
  int max_failures_per_account = 5;
  int max_failures_per_address = 20;
  std::chrono::seconds failure_window{15 * 60};
  std::chrono::seconds base_lockout{30};
  std::chrono::seconds max_lockout{15 * 60};
  // API tokens created without an explicit lifetime expire after this many days.
  int64_t api_token_ttl_days = 90;
  // argon2id hashes computed at once (each takes ~64 MiB and a core for ~0.1 s); a login or
  // password change beyond that is refused with Unavailable (503, Retry-After) at once.
  int password_hash_concurrency = 2;
  // Authentication cache: a session or API token found valid is remembered this long, so a
  // request costs no database read. A logout, revocation or user change made through this
  // service forgets every remembered check at once (immediate on this instance); one made by
  // another instance on the same database takes effect here within this bound. 0: every request
  // reads the database (one indexed read).
  std::chrono::milliseconds auth_cache_ttl{5000};
  size_t auth_cache_max_entries = 100000;  // the cache is emptied when it would grow beyond
  // API tokens' last-used times are kept in memory and written in one transaction this often
  // (and when the service is destroyed), never on a request. 0: no background writer (tests
  // call FlushTokenUse).
  std::chrono::milliseconds token_use_flush_interval{30000};
};

class IdentityService {
 public:
  IdentityService(store::Database& db, IdentityOptions options = {});
  ~IdentityService();  // writes the pending last-used times
  IdentityService(const IdentityService&) = delete;
  IdentityService& operator=(const IdentityService&) = delete;

  // Password login. Errors: Unauthenticated "Invalid email or password" (never says which);
  // ResourceExhausted when throttled, with Error::retry_after the time until the lock ends.
  Result<LoginResult> Login(std::string_view email, std::string_view password,
                            std::string_view client_addr);
  // Revokes the session the principal authenticated with.
  Status Logout(const Principal& who);
  // Resolves a session token or an API token ("pct_...") to a principal. Errors:
  // Unauthenticated for unknown, expired, revoked tokens and disabled users. Costs one indexed
  // read, or none when checked within IdentityOptions::auth_cache_ttl; never writes.
  Result<Principal> Authenticate(std::string_view token, std::string_view client_addr);
  // Checks an X-CSRF-Token against the principal's session.
  bool CheckCsrf(const Principal& who, std::string_view csrf_token);
  // Writes the API tokens' last-used times recorded since the previous flush, in one
  // transaction (the background writer calls it every token_use_flush_interval).
  Status FlushTokenUse();
  // Forgets every remembered authentication; each change made through this service does it.
  void ForgetAuthentications();

  Result<ApiToken> CreateApiToken(const Principal& who, std::string_view name,
                                  std::optional<int64_t> expires_in_days);
  Result<std::vector<ApiToken>> ListApiTokens(const Principal& who);
  Status RevokeApiToken(const Principal& who, std::string_view token_id);

  // Organizations: operators see and manage all; everyone else sees only their own.
  Result<std::vector<Organization>> ListOrganizations(const Principal& who);
  Result<Organization> GetOrganization(const Principal& who, std::string_view id);
  Result<Organization> CreateOrganization(const Principal& who, std::string_view name,
                                          std::string_view kind);
  Result<Organization> RenameOrganization(const Principal& who, std::string_view id,
                                          std::string_view name);
  Result<Organization> FindOrganizationByName(std::string_view name);

  // Users: operators manage all users; org admins manage their organization's users (and may
  // grant only org_admin or org_member); other roles may read only themselves. A user outside
  // the caller's reach is NotFound, so ids of other organizations are not disclosed.
  Result<std::vector<User>> ListUsers(const Principal& who,
                                      std::optional<std::string> organization_id);
  Result<User> GetUser(const Principal& who, std::string_view id);
  Result<User> CreateUser(const Principal& who, const NewUser& user);
  Result<User> UpdateUser(const Principal& who, std::string_view id, const UserChanges& changes);

  // Audit entries, newest first: operators read all (optionally one organization's), org admins
  // their own organization's. `before` is an entry id for paging.
  Result<std::vector<AuditEntry>> ListAudit(const Principal& who,
                                            std::optional<std::string> organization_id,
                                            std::optional<std::string> before, int limit);

  // Appends an audit entry inside the caller's transaction (for other services' changes).
  static Status Audit(store::Transaction& tx, const Principal& who,
                      std::optional<std::string> organization_id, std::string_view action,
                      std::string_view target_type, std::string_view target_id,
                      const json::object& detail = {});

 private:
  struct CachedAuth {
    Principal principal;  // without client_addr
    std::optional<Timestamp> expires_at;
    std::chrono::steady_clock::time_point checked;
  };
  std::optional<Principal> FromCache(const std::string& token_hash);
  void RecordTokenUse(const std::string& token_id);
  void FlushLoop();

  store::Database& db_;
  IdentityOptions options_;
  PasswordHasher hasher_;
  std::shared_mutex cache_mu_;
  std::unordered_map<std::string, CachedAuth> cache_;  // by token hash
  uint64_t cache_generation_ = 0;                      // bumped by ForgetAuthentications
  std::mutex use_mu_;
  std::unordered_map<std::string, Timestamp> token_use_;  // API token id -> last use, unwritten
  std::mutex flush_mu_;
  std::condition_variable flush_cv_;
  bool stopping_ = false;
  std::thread flusher_;
};

json::object ToJson(const User& user);
json::object ToJson(const Organization& org);
json::object ToJson(const ApiToken& token);
json::object ToJson(const AuditEntry& entry);

}  // namespace pc::identity
