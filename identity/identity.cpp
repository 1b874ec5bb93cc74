#include "identity/identity.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "core/random.h"
#include "core/text.h"
#include "core/time.h"
#include "core/uuid.h"
#include "identity/password.h"

namespace pc::identity {

namespace {

using store::Param;
using store::Row;
using store::Transaction;

constexpr std::string_view kApiTokenPrefix = "pct_";
constexpr size_t kMaxEmail = 254;
constexpr size_t kMaxName = 200;
constexpr size_t kMinPassword = 8;
constexpr size_t kMaxPassword = 1024;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string NowText() { return FormatTimestamp(Now()); }

std::optional<std::string> OptText(const Row& row, std::string_view column) {
  if (row.IsNull(column)) return std::nullopt;
  return row.Text(column);
}

constexpr std::string_view kUserColumns =
    "u.id AS u_id, u.organization_id AS u_org, u.email AS u_email, u.name AS u_name, "
    "u.role AS u_role, u.disabled AS u_disabled, u.created_at AS u_created, "
    "u.updated_at AS u_updated";
constexpr std::string_view kOrgColumns =
    "o.id AS o_id, o.name AS o_name, o.kind AS o_kind, o.created_at AS o_created";

User UserFromRow(const Row& row) {
  User u;
  u.id = row.Text("u_id");
  u.organization_id = row.Text("u_org");
  u.email = row.Text("u_email");
  u.name = row.Text("u_name");
  auto role = ParseRole(row.Text("u_role"));
  u.role = role.ok() ? *role : Role::kOrgMember;
  u.disabled = row.Int("u_disabled") != 0;
  u.created_at = row.Text("u_created");
  u.updated_at = row.Text("u_updated");
  return u;
}

Organization OrgFromRow(const Row& row) {
  return {row.Text("o_id"), row.Text("o_name"), row.Text("o_kind"), row.Text("o_created")};
}

Status ValidateEmail(std::string_view email) {
  auto at = email.find('@');
  if (email.empty() || email.size() > kMaxEmail || at == std::string_view::npos || at == 0 ||
      at + 1 >= email.size() || email.find_first_of(" \t\r\n<>\",;") != std::string_view::npos) {
    return InvalidArgument("Field 'email' must be an email address such as name@example.com");
  }
  return {};
}

Status ValidatePassword(std::string_view password) {
  if (password.size() < kMinPassword) {
    return InvalidArgument("Field 'password' must have at least " + std::to_string(kMinPassword) +
                           " characters");
  }
  if (password.size() > kMaxPassword) {
    return InvalidArgument("Field 'password' must have at most " + std::to_string(kMaxPassword) +
                           " characters");
  }
  return {};
}

Status ValidateName(std::string_view field, std::string_view name, bool required) {
  if (required && Trim(name).empty()) {
    return InvalidArgument("Field '" + std::string(field) + "' must not be empty");
  }
  return CheckLineText(field, name, kMaxName);
}

bool IsOperator(const Principal& who) {
  return who.via == Principal::Via::kSystem || who.user.role == Role::kOperator;
}

// May `who` manage the users of organization `org_id`?
bool ManagesOrganization(const Principal& who, std::string_view org_id) {
  if (IsOperator(who)) return true;
  return who.user.role == Role::kOrgAdmin && who.organization.id == org_id;
}

Result<std::optional<Organization>> LoadOrganization(Transaction& tx, std::string_view id) {
  PC_ASSIGN_OR_RETURN(auto rows, tx.Query(std::string("SELECT ") + std::string(kOrgColumns) +
                                              " FROM organizations o WHERE o.id = ?",
                                          {std::string(id)}));
  if (rows.empty()) return std::optional<Organization>{};
  return std::optional<Organization>(OrgFromRow(rows[0]));
}

Result<std::optional<User>> LoadUser(Transaction& tx, std::string_view id) {
  PC_ASSIGN_OR_RETURN(auto rows, tx.Query(std::string("SELECT ") + std::string(kUserColumns) +
                                              " FROM users u WHERE u.id = ?",
                                          {std::string(id)}));
  if (rows.empty()) return std::optional<User>{};
  return std::optional<User>(UserFromRow(rows[0]));
}

// One throttle counter ("account:<email>" or "address:<ip>").
struct ThrottleState {
  int64_t failures = 0;
  std::string window_start;
  std::optional<std::string> locked_until;
};

Result<ThrottleState> LoadThrottle(Transaction& tx, const std::string& key) {
  PC_ASSIGN_OR_RETURN(
      auto rows,
      tx.Query("SELECT failures, window_start, locked_until FROM login_throttle WHERE key = ?",
               {key}));
  ThrottleState st;
  if (!rows.empty()) {
    st.failures = rows[0].Int("failures");
    st.window_start = rows[0].Text("window_start");
    st.locked_until = OptText(rows[0], "locked_until");
  }
  return st;
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kOrgAdmin:
      return "org_admin";
    case Role::kOrgMember:
      return "org_member";
    case Role::kOperator:
      return "operator";
    case Role::kSupportAgent:
      return "support_agent";
  }
  return "org_member";
}

Result<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kOrgAdmin, Role::kOrgMember, Role::kOperator, Role::kSupportAgent}) {
    if (RoleName(r) == name) return r;
  }
  return InvalidArgument(
      "Field 'role' must be one of org_admin, org_member, operator, "
      "support_agent");
}

bool IsPartnerStaff(Role role) { return role == Role::kOperator || role == Role::kSupportAgent; }

Principal SystemPrincipal() {
  Principal p;
  p.via = Principal::Via::kSystem;
  p.user.email = "cli";
  p.user.role = Role::kOperator;
  p.client_addr = "local";
  return p;
}

IdentityService::IdentityService(store::Database& db, IdentityOptions options)
    : db_(db), options_(options), hasher_(options.password_hash_concurrency) {
  if (options_.token_use_flush_interval.count() > 0)
    flusher_ = std::thread([this] { FlushLoop(); });
}

IdentityService::~IdentityService() {
  {
    std::lock_guard lock(flush_mu_);
    stopping_ = true;
  }
  flush_cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  if (auto st = FlushTokenUse(); !st.ok()) {
    // Only last-used times are lost; nothing to do but say so.
    std::fprintf(stderr, "identity: last-used times of API tokens not written: %s\n",
                 st.error().message.c_str());
  }
}

void IdentityService::FlushLoop() {
  std::unique_lock lock(flush_mu_);
  while (!stopping_) {
    flush_cv_.wait_for(lock, options_.token_use_flush_interval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    (void)FlushTokenUse();  // a failure keeps nothing worth retrying: the next use records again
    lock.lock();
  }
}

void IdentityService::RecordTokenUse(const std::string& token_id) {
  Timestamp now = Now();
  std::lock_guard lock(use_mu_);
  token_use_[token_id] = now;
}

Status IdentityService::FlushTokenUse() {
  std::unordered_map<std::string, Timestamp> pending;
  {
    std::lock_guard lock(use_mu_);
    pending.swap(token_use_);
  }
  if (pending.empty()) return {};
  return db_.InTransaction([&](Transaction& tx) -> Status {
    for (const auto& [id, at] : pending) {
      // Never moves a time backwards (another instance may have written a later one).
      std::string text = FormatTimestamp(at);
      PC_RETURN_IF_ERROR(tx.Execute(
          "UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR "
          "last_used_at < ?)",
          {text, id, text}));
    }
    return Status{};
  });
}

void IdentityService::ForgetAuthentications() {
  std::unique_lock lock(cache_mu_);
  ++cache_generation_;
  cache_.clear();
}

std::optional<Principal> IdentityService::FromCache(const std::string& token_hash) {
  if (options_.auth_cache_ttl.count() <= 0) return std::nullopt;
  std::shared_lock lock(cache_mu_);
  auto it = cache_.find(token_hash);
  if (it == cache_.end()) return std::nullopt;
  if (std::chrono::steady_clock::now() - it->second.checked >= options_.auth_cache_ttl) {
    return std::nullopt;
  }
  if (it->second.expires_at && *it->second.expires_at <= Now()) return std::nullopt;
  return it->second.principal;
}

Status IdentityService::Audit(Transaction& tx, const Principal& who,
                              std::optional<std::string> organization_id, std::string_view action,
                              std::string_view target_type, std::string_view target_id,
                              const json::object& detail) {
  Param actor = who.user.id.empty() ? Param(nullptr) : Param(who.user.id);
  Param org = organization_id ? Param(*organization_id) : Param(nullptr);
  auto r = tx.Execute(
      "INSERT INTO audit_log (id, at, actor_user_id, actor_email, organization_id, action, "
      "target_type, target_id, client_addr, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {Uuid::V7().ToString(), NowText(), actor, who.user.email, org, std::string(action),
       std::string(target_type), std::string(target_id), who.client_addr, json::serialize(detail)});
  if (!r.ok()) return r.error();
  return {};
}

// ---- Login, sessions, tokens ----

Result<LoginResult> IdentityService::Login(std::string_view email_in, std::string_view password,
                                           std::string_view client_addr) {
  if (email_in.size() > kMaxEmail) {
    return InvalidArgument("Field 'email' must have at most " + std::to_string(kMaxEmail) +
                           " characters");
  }
  if (password.size() > kMaxPassword) {
    return InvalidArgument("Field 'password' must have at most " + std::to_string(kMaxPassword) +
                           " characters");
  }
  std::string email = Lower(Trim(email_in));
  // Keyed by a digest: whatever is typed, a throttle row has the same small size.
  std::string account_key = "account:" + Sha256Hex(email);
  std::string address_key = "address:" + std::string(client_addr);
  Timestamp now = Now();

  // 1. Refuse while locked, before spending a password hash on it.
  {
    PC_ASSIGN_OR_RETURN(auto tx, db_.Begin());
    for (const auto& key : {account_key, address_key}) {
      PC_ASSIGN_OR_RETURN(auto st, LoadThrottle(*tx, key));
      if (!st.locked_until) continue;
      auto until = ParseTimestamp(*st.locked_until);
      if (until.ok() && *until > now) {
        auto secs = std::max<int64_t>(
            1, std::chrono::duration_cast<std::chrono::seconds>(*until - now).count() + 1);
        return RetryAfter(
            Error(ErrorCode::kResourceExhausted,
                  "Too many failed logins; try again in " + std::to_string(secs) + " seconds"),
            std::chrono::seconds(secs));
      }
    }
  }

  // 2. Look the user up and verify the password (a dummy hash keeps the timing alike).
  std::optional<User> user;
  std::optional<Organization> org;
  std::string hash;
  {
    PC_ASSIGN_OR_RETURN(auto tx, db_.Begin());
    PC_ASSIGN_OR_RETURN(
        auto rows, tx->Query(std::string("SELECT ") + std::string(kUserColumns) + ", " +
                                 std::string(kOrgColumns) +
                                 ", u.password_hash AS u_hash FROM users u JOIN organizations o "
                                 "ON o.id = u.organization_id WHERE u.email = ?",
                             {email}));
    if (!rows.empty()) {
      user = UserFromRow(rows[0]);
      org = OrgFromRow(rows[0]);
      hash = rows[0].Text("u_hash");
    }
  }
  static const std::string kDummyHash = HashPassword("partnercloud-dummy-password");
  PC_ASSIGN_OR_RETURN(bool verified, hasher_.Verify(password, user ? hash : kDummyHash));
  bool password_ok = verified && user.has_value();
  bool ok = password_ok && !user->disabled;

  Principal actor;
  actor.client_addr = std::string(client_addr);
  if (user) actor.user = *user;
  if (!user) actor.user.email = email;

  if (!ok) {
    Status st = db_.InTransaction([&](Transaction& tx) -> Status {
      for (const auto& [key, max] : {std::pair{account_key, options_.max_failures_per_account},
                                     std::pair{address_key, options_.max_failures_per_address}}) {
        PC_ASSIGN_OR_RETURN(auto state, LoadThrottle(tx, key));
        auto start = ParseTimestamp(state.window_start);
        int64_t failures = state.failures;
        std::string window_start = state.window_start;
        if (failures == 0 || !start.ok() || now - *start > options_.failure_window) {
          failures = 0;
          window_start = FormatTimestamp(now);
        }
        ++failures;
        Param locked = nullptr;
        if (failures >= max) {
          int64_t extra = std::min<int64_t>(failures - max, 20);
          auto lock = options_.base_lockout * (int64_t{1} << extra);
          lock = std::min<std::chrono::seconds>(lock, options_.max_lockout);
          locked = FormatTimestamp(now + lock);
        }
        PC_RETURN_IF_ERROR(tx.Execute(
            "INSERT INTO login_throttle (key, failures, window_start, locked_until) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, "
            "window_start = excluded.window_start, locked_until = excluded.locked_until",
            {key, failures, window_start, locked}));
      }
      return Audit(tx, actor, org ? std::optional(org->id) : std::nullopt, "session.login_failed",
                   "user", user ? user->id : "", json::object{{"email", email}});
    });
    PC_RETURN_IF_ERROR(st);
    return Unauthenticated("Invalid email or password");
  }

  LoginResult result;
  result.token = RandomToken(32);
  result.csrf_token = RandomToken(24);
  result.expires_at = FormatTimestamp(now + options_.session_ttl);
  result.user = *user;
  result.organization = *org;
  std::string session_id = Uuid::V7().ToString();
  Status st = db_.InTransaction([&](Transaction& tx) -> Status {
    PC_RETURN_IF_ERROR(tx.Execute("DELETE FROM login_throttle WHERE key = ?", {account_key}));
    PC_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO sessions (id, token_hash, csrf_hash, user_id, client_addr, created_at, "
        "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        {session_id, Sha256Hex(result.token), Sha256Hex(result.csrf_token), user->id,
         std::string(client_addr), FormatTimestamp(now), result.expires_at}));
    return Audit(tx, actor, org->id, "session.created", "session", session_id);
  });
  PC_RETURN_IF_ERROR(st);
  return result;
}

Status IdentityService::Logout(const Principal& who) {
  if (who.via != Principal::Via::kSession) {
    return InvalidArgument(
        "Only a session can be ended; revoke API tokens with "
        "DELETE /api/v1/tokens/{id}");
  }
  Status st = db_.InTransaction([&](Transaction& tx) -> Status {
    PC_RETURN_IF_ERROR(tx.Execute("UPDATE sessions SET revoked_at = ? WHERE id = ?",
                                  {NowText(), who.credential_id}));
    return Audit(tx, who, who.organization.id, "session.deleted", "session", who.credential_id);
  });
  ForgetAuthentications();
  return st;
}

Result<Principal> IdentityService::Authenticate(std::string_view token,
                                                std::string_view client_addr) {
  if (token.empty() || token.size() > 512) return Unauthenticated("Missing or invalid token");
  bool api = token.starts_with(kApiTokenPrefix);
  std::string token_hash = Sha256Hex(token);
  if (auto cached = FromCache(token_hash)) {
    cached->client_addr = std::string(client_addr);
    if (api) RecordTokenUse(cached->credential_id);
    return *std::move(cached);
  }
  uint64_t generation = 0;
  {
    std::shared_lock lock(cache_mu_);
    generation = cache_generation_;
  }
  std::string sql = std::string("SELECT t.id AS t_id, t.expires_at AS t_expires, ") +
                    (api ? "'' AS t_csrf, " : "t.csrf_hash AS t_csrf, ") +
                    std::string(kUserColumns) + ", " + std::string(kOrgColumns) + " FROM " +
                    (api ? "api_tokens" : "sessions") +
                    " t JOIN users u ON u.id = t.user_id JOIN organizations o ON o.id = "
                    "u.organization_id WHERE t.token_hash = ? AND t.revoked_at IS NULL AND "
                    "(t.expires_at IS NULL OR t.expires_at > ?)";
  std::optional<Timestamp> expires_at;
  Principal p;
  {
    PC_ASSIGN_OR_RETURN(auto tx, db_.BeginRead());
    PC_ASSIGN_OR_RETURN(auto rows, tx->Query(sql, {token_hash, NowText()}));
    if (rows.empty()) {
      return Unauthenticated("The session or token is unknown, expired or revoked");
    }
    p.user = UserFromRow(rows[0]);
    p.organization = OrgFromRow(rows[0]);
    if (p.user.disabled) return Unauthenticated("This user is disabled");
    p.via = api ? Principal::Via::kApiToken : Principal::Via::kSession;
    p.credential_id = rows[0].Text("t_id");
    p.csrf_hash = rows[0].Text("t_csrf");
    if (!rows[0].IsNull("t_expires")) {
      auto parsed = ParseTimestamp(rows[0].Text("t_expires"));
      if (parsed.ok()) expires_at = *parsed;
    }
  }
  if (api) RecordTokenUse(p.credential_id);
  if (options_.auth_cache_ttl.count() > 0) {
    std::unique_lock lock(cache_mu_);
    // A change made through this service while we read forgot everything: do not bring back
    // what we read before it.
    if (generation == cache_generation_) {
      if (cache_.size() >= options_.auth_cache_max_entries) cache_.clear();
      cache_[token_hash] = CachedAuth{p, expires_at, std::chrono::steady_clock::now()};
    }
  }
  p.client_addr = std::string(client_addr);
  return p;
}

bool IdentityService::CheckCsrf(const Principal& who, std::string_view csrf_token) {
  if (who.via != Principal::Via::kSession || csrf_token.empty() || csrf_token.size() > 256) {
    return false;
  }
  std::string got = Sha256Hex(csrf_token);
  // Both are hex digests of equal length; compare without early exit.
  if (got.size() != who.csrf_hash.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < got.size(); ++i) diff |= got[i] ^ who.csrf_hash[i];
  return diff == 0;
}

Result<ApiToken> IdentityService::CreateApiToken(const Principal& who, std::string_view name,
                                                 std::optional<int64_t> expires_in_days) {
  PC_RETURN_IF_ERROR(ValidateName("name", name, true));
  if (expires_in_days && (*expires_in_days < 1 || *expires_in_days > 3650)) {
    return InvalidArgument("Field 'expiresInDays' must be between 1 and 3650");
  }
  ApiToken token;
  token.id = Uuid::V7().ToString();
  token.name = Trim(name);
  Timestamp now = Now();
  token.created_at = FormatTimestamp(now);
  // Every token expires: the caller's choice, else the configured default.
  token.expires_at = FormatTimestamp(
      now + std::chrono::days(expires_in_days.value_or(options_.api_token_ttl_days)));
  token.token = std::string(kApiTokenPrefix) + RandomToken(32);
  PC_RETURN_IF_ERROR(db_.InTransaction([&](Transaction& tx) -> Status {
    PC_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO api_tokens (id, token_hash, user_id, name, created_at, expires_at) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   {token.id, Sha256Hex(*token.token), who.user.id, token.name, token.created_at,
                    token.expires_at ? Param(*token.expires_at) : Param(nullptr)}));
    return Audit(tx, who, who.organization.id, "api_token.created", "api_token", token.id,
                 json::object{{"name", token.name}});
  }));
  return token;
}

Result<std::vector<ApiToken>> IdentityService::ListApiTokens(const Principal& who) {
  PC_ASSIGN_OR_RETURN(auto tx, db_.Begin());
  PC_ASSIGN_OR_RETURN(
      auto rows, tx->Query("SELECT id, name, created_at, expires_at, last_used_at FROM api_tokens "
                           "WHERE user_id = ? AND revoked_at IS NULL ORDER BY id",
                           {who.user.id}));
  std::vector<ApiToken> out;
  for (const auto& r : rows) {
    out.push_back({r.Text("id"), r.Text("name"), r.Text("created_at"), OptText(r, "expires_at"),
                   OptText(r, "last_used_at"), std::nullopt});
  }
  // Uses not yet written (FlushTokenUse) are newer than what the database says.
  std::lock_guard lock(use_mu_);
  for (auto& t : out) {
    auto it = token_use_.find(t.id);
    if (it != token_use_.end()) t.last_used_at = FormatTimestamp(it->second);
  }
  return out;
}

Status IdentityService::RevokeApiToken(const Principal& who, std::string_view token_id) {
  Status st = db_.InTransaction([&](Transaction& tx) -> Status {
    PC_ASSIGN_OR_RETURN(int64_t n, tx.Execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ? "
                                              "AND user_id = ? AND revoked_at IS NULL",
                                              {NowText(), std::string(token_id), who.user.id}));
    if (n == 0) return NotFound("API token not found");
    return Audit(tx, who, who.organization.id, "api_token.revoked", "api_token",
                 std::string(token_id));
  });
  ForgetAuthentications();
  return st;
}

// ---- Organizations ----

Result<std::vector<Organization>> IdentityService::ListOrganizations(const Principal& who) {
  if (!IsOperator(who)) return std::vector<Organization>{who.organization};
  PC_ASSIGN_OR_RETURN(auto tx, db_.Begin());
  PC_ASSIGN_OR_RETURN(auto rows, tx->Query(std::string("SELECT ") + std::string(kOrgColumns) +
                                           " FROM organizations o ORDER BY o.name"));
  std::vector<Organization> out;
  for (const auto& r : rows) out.push_back(OrgFromRow(r));
  return out;
}

Result<Organization> IdentityService::GetOrganization(const Principal& who, std::string_view id) {
  if (!IsOperator(who) && who.organization.id != id) return NotFound("Organization not found");
  PC_ASSIGN_OR_RETURN(auto tx, db_.Begin());
  PC_ASSIGN_OR_RETURN(auto org, LoadOrganization(*tx, id));
  if (!org) return NotFound("Organization not found");
  return *org;
}

Result<Organization> IdentityService::FindOrganizationByName(std::string_view name) {
  PC_ASSIGN_OR_RETURN(auto tx, db_.Begin());
  PC_ASSIGN_OR_RETURN(auto rows, tx->Query(std::string("SELECT ") + std::string(kOrgColumns) +
                                               " FROM organizations o WHERE o.name = ?",
                                           {std::string(name)}));
  if (rows.empty()) return NotFound("Organization '" + std::string(name) + "' not found");
  return OrgFromRow(rows[0]);
}

Result<Organization> IdentityService::CreateOrganization(const Principal& who,
                                                         std::string_view name,
                                                         std::string_view kind) {
  if (!IsOperator(who)) return PermissionDenied("Only operators can create organizations");
  PC_RETURN_IF_ERROR(ValidateName("name", name, true));
  if (kind != "customer" && kind != "partner") {
    return InvalidArgument("Field 'kind' must be 'customer' or 'partner'");
  }
  Organization org{Uuid::V7().ToString(), Trim(name), std::string(kind), NowText()};
  PC_RETURN_IF_ERROR(db_.InTransaction([&](Transaction& tx) -> Status {
    auto r =
        tx.Execute("INSERT INTO organizations (id, name, kind, created_at) VALUES (?, ?, ?, ?)",
                   {org.id, org.name, org.kind, org.created_at});
    if (!r.ok() && r.error().code == ErrorCode::kConflict) {
      return Conflict("An organization named '" + org.name + "' already exists");
    }
    PC_RETURN_IF_ERROR(r);
    return Audit(tx, who, org.id, "organization.created", "organization", org.id,
                 json::object{{"name", org.name}, {"kind", org.kind}});
  }));
  return org;
}

Result<Organization> IdentityService::RenameOrganization(const Principal& who, std::string_view id,
                                                         std::string_view name) {
  if (!IsOperator(who)) {
    if (who.organization.id != id) return NotFound("Organization not found");
    return PermissionDenied("Only operators can rename organizations");
  }
  PC_RETURN_IF_ERROR(ValidateName("name", name, true));
  Organization org;
  PC_RETURN_IF_ERROR(db_.InTransaction([&](Transaction& tx) -> Status {
    PC_ASSIGN_OR_RETURN(auto found, LoadOrganization(tx, id));
    if (!found) return NotFound("Organization not found");
    org = *found;
    std::string old_name = org.name;
    org.name = Trim(name);
    auto r = tx.Execute("UPDATE organizations SET name = ? WHERE id = ?", {org.name, org.id});
    if (!r.ok() && r.error().code == ErrorCode::kConflict) {
      return Conflict("An organization named '" + org.name + "' already exists");
    }
    PC_RETURN_IF_ERROR(r);
    return Audit(tx, who, org.id, "organization.renamed", "organization", org.id,
                 json::object{{"from", old_name}, {"to", org.name}});
  }));
  ForgetAuthentications();
  return org;
}

// ---- Users ----

Result<std::vector<User>> IdentityService::ListUsers(const Principal& who,
                                                     std::optional<std::string> organization_id) {
  if (!IsOperator(who)) {
    if (who.user.role != Role::kOrgAdmin) {
      return PermissionDenied("Only organization admins and operators can list users");
    }
    if (organization_id && *organization_id != who.organization.id) {
      return NotFound("Organization not found");
    }
    organization_id = who.organization.id;
  }
  PC_ASSIGN_OR_RETURN(auto tx, db_.Begin());
  std::string sql = std::string("SELECT ") + std::string(kUserColumns) + " FROM users u";
  std::vector<Param> params;
  if (organization_id) {
    sql += " WHERE u.organization_id = ?";
    params.emplace_back(*organization_id);
  }
  sql += " ORDER BY u.email";
  PC_ASSIGN_OR_RETURN(auto rows, tx->Query(sql, params));
  std::vector<User> out;
  for (const auto& r : rows) out.push_back(UserFromRow(r));
  return out;
}

Result<User> IdentityService::GetUser(const Principal& who, std::string_view id) {
  PC_ASSIGN_OR_RETURN(auto tx, db_.Begin());
  PC_ASSIGN_OR_RETURN(auto user, LoadUser(*tx, id));
  if (!user) return NotFound("User not found");
  if (user->id != who.user.id && !ManagesOrganization(who, user->organization_id)) {
    return NotFound("User not found");
  }
  return *user;
}

Result<User> IdentityService::CreateUser(const Principal& who, const NewUser& in) {
  if (!ManagesOrganization(who, in.organization_id)) {
    if (in.organization_id != who.organization.id) return NotFound("Organization not found");
    return PermissionDenied("Only organization admins and operators can create users");
  }
  std::string email = Lower(Trim(in.email));
  PC_RETURN_IF_ERROR(ValidateEmail(email));
  PC_RETURN_IF_ERROR(ValidateName("name", in.name, false));
  if (who.via != Principal::Via::kSystem) PC_RETURN_IF_ERROR(ValidatePassword(in.password));
  if (in.password.empty()) return InvalidArgument("Field 'password' is required");
  if (!IsOperator(who) && IsPartnerStaff(in.role)) {
    return PermissionDenied("Organization admins can grant only org_admin or org_member");
  }
  PC_ASSIGN_OR_RETURN(std::string hash, hasher_.Hash(in.password));
  User user;
  PC_RETURN_IF_ERROR(db_.InTransaction([&](Transaction& tx) -> Status {
    PC_ASSIGN_OR_RETURN(auto org, LoadOrganization(tx, in.organization_id));
    if (!org) return NotFound("Organization not found");
    if ((org->kind == "partner") != IsPartnerStaff(in.role)) {
      return InvalidArgument(org->kind == "partner"
                                 ? "Users of the partner organization must be operators or "
                                   "support agents"
                                 : "Users of a customer organization must be org_admin or "
                                   "org_member");
    }
    std::string now = NowText();
    user = User{Uuid::V7().ToString(), org->id, email, Trim(in.name), in.role, false, now, now};
    auto r = tx.Execute(
        "INSERT INTO users (id, organization_id, email, name, role, password_hash, disabled, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
        {user.id, user.organization_id, user.email, user.name, std::string(RoleName(user.role)),
         hash, now, now});
    if (!r.ok() && r.error().code == ErrorCode::kConflict) {
      return Conflict("A user with email " + email + " already exists");
    }
    PC_RETURN_IF_ERROR(r);
    return Audit(tx, who, org->id, "user.created", "user", user.id,
                 json::object{{"email", user.email}, {"role", RoleName(user.role)}});
  }));
  return user;
}

Result<User> IdentityService::UpdateUser(const Principal& who, std::string_view id,
                                         const UserChanges& changes) {
  if (changes.name) PC_RETURN_IF_ERROR(ValidateName("name", *changes.name, false));
  if (changes.password) PC_RETURN_IF_ERROR(ValidatePassword(*changes.password));
  if (changes.password && id == who.user.id && who.via != Principal::Via::kSystem) {
    // One's own password changes only with the current one: a stolen session alone cannot
    // take the account over.
    if (!changes.current_password || changes.current_password->empty()) {
      return InvalidArgument("Field 'currentPassword' is required to change your own password");
    }
    if (changes.current_password->size() > kMaxPassword) {
      return PermissionDenied("The current password is not correct");
    }
    std::string current_hash;
    {
      PC_ASSIGN_OR_RETURN(auto tx, db_.Begin());
      PC_ASSIGN_OR_RETURN(
          auto rows, tx->Query("SELECT password_hash FROM users WHERE id = ?", {std::string(id)}));
      if (rows.empty()) return NotFound("User not found");
      current_hash = rows[0].Text("password_hash");
    }
    PC_ASSIGN_OR_RETURN(bool matches, hasher_.Verify(*changes.current_password, current_hash));
    if (!matches) return PermissionDenied("The current password is not correct");
  }
  std::optional<std::string> hash;
  if (changes.password) {
    PC_ASSIGN_OR_RETURN(hash, hasher_.Hash(*changes.password));
  }
  User user;
  PC_RETURN_IF_ERROR(db_.InTransaction([&](Transaction& tx) -> Status {
    PC_ASSIGN_OR_RETURN(auto found, LoadUser(tx, id));
    if (!found) return NotFound("User not found");
    bool self = found->id == who.user.id;
    bool manages = ManagesOrganization(who, found->organization_id);
    if (!manages) {
      if (!self) return NotFound("User not found");
      if (changes.role || changes.disabled) {
        return PermissionDenied("Only an admin can change roles or disable users");
      }
    }
    if (self && ((changes.role && *changes.role != found->role) ||
                 (changes.disabled && *changes.disabled))) {
      return FailedPrecondition(
          "You cannot change your own role or disable yourself; ask "
          "another admin");
    }
    if (changes.role && IsPartnerStaff(*changes.role) != IsPartnerStaff(found->role)) {
      return InvalidArgument(
          "A role cannot move a user between the partner and a customer "
          "organization");
    }
    user = *found;
    json::object detail;
    if (changes.name) {
      user.name = Trim(*changes.name);
      detail["name"] = user.name;
    }
    if (changes.role) {
      user.role = *changes.role;
      detail["role"] = RoleName(user.role);
    }
    if (changes.disabled) {
      user.disabled = *changes.disabled;
      detail["disabled"] = user.disabled;
    }
    if (hash) detail["password"] = "changed";
    user.updated_at = NowText();
    PC_RETURN_IF_ERROR(tx.Execute(
        "UPDATE users SET name = ?, role = ?, disabled = ?, updated_at = ?" +
            std::string(hash ? ", password_hash = ?" : "") + " WHERE id = ?",
        hash ? std::vector<Param>{user.name, std::string(RoleName(user.role)),
                                  int64_t{user.disabled}, user.updated_at, *hash, user.id}
             : std::vector<Param>{user.name, std::string(RoleName(user.role)),
                                  int64_t{user.disabled}, user.updated_at, user.id}));
    if (user.disabled || hash) {
      // A disabled user or a changed password (own or an admin's reset) ends every other
      // session and every API token: whoever held them must log in again.
      PC_RETURN_IF_ERROR(tx.Execute(
          "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND id <> ?",
          {user.updated_at, user.id,
           self && who.via == Principal::Via::kSession ? who.credential_id : std::string()}));
      PC_RETURN_IF_ERROR(tx.Execute(
          "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
          {user.updated_at, user.id}));
    }
    return Audit(tx, who, user.organization_id, "user.updated", "user", user.id, detail);
  }));
  ForgetAuthentications();  // role, name, disabled or revoked credentials
  return user;
}

// ---- Audit ----

Result<std::vector<AuditEntry>> IdentityService::ListAudit(
    const Principal& who, std::optional<std::string> organization_id,
    std::optional<std::string> before, int limit) {
  if (!IsOperator(who)) {
    if (who.user.role != Role::kOrgAdmin) {
      return PermissionDenied("Only organization admins and operators can read the audit log");
    }
    if (organization_id && *organization_id != who.organization.id) {
      return NotFound("Organization not found");
    }
    organization_id = who.organization.id;
  }
  limit = std::clamp(limit, 1, 500);
  std::string sql =
      "SELECT id, at, actor_user_id, actor_email, organization_id, action, target_type, "
      "target_id, client_addr, detail FROM audit_log WHERE 1 = 1";
  std::vector<Param> params;
  if (organization_id) {
    sql += " AND organization_id = ?";
    params.emplace_back(*organization_id);
  }
  if (before) {
    sql += " AND id < ?";
    params.emplace_back(*before);
  }
  sql += " ORDER BY id DESC LIMIT " + std::to_string(limit);
  PC_ASSIGN_OR_RETURN(auto tx, db_.Begin());
  PC_ASSIGN_OR_RETURN(auto rows, tx->Query(sql, params));
  std::vector<AuditEntry> out;
  for (const auto& r : rows) {
    AuditEntry e;
    e.id = r.Text("id");
    e.at = r.Text("at");
    e.actor_user_id = OptText(r, "actor_user_id");
    e.actor_email = r.Text("actor_email");
    e.organization_id = OptText(r, "organization_id");
    e.action = r.Text("action");
    e.target_type = r.Text("target_type");
    e.target_id = r.Text("target_id");
    e.client_addr = r.Text("client_addr");
    auto detail = ParseJson(r.Text("detail"));
    e.detail = detail.ok() ? *detail : json::value(json::object{});
    out.push_back(std::move(e));
  }
  return out;
}

// ---- JSON ----

json::object ToJson(const User& u) {
  return {{"id", u.id},
          {"organizationId", u.organization_id},
          {"email", u.email},
          {"name", u.name},
          {"role", RoleName(u.role)},
          {"disabled", u.disabled},
          {"createdAt", u.created_at},
          {"updatedAt", u.updated_at}};
}

json::object ToJson(const Organization& o) {
  return {{"id", o.id}, {"name", o.name}, {"kind", o.kind}, {"createdAt", o.created_at}};
}

json::object ToJson(const ApiToken& t) {
  json::object o{{"id", t.id}, {"name", t.name}, {"createdAt", t.created_at}};
  o["expiresAt"] = t.expires_at ? json::value(*t.expires_at) : json::value(nullptr);
  o["lastUsedAt"] = t.last_used_at ? json::value(*t.last_used_at) : json::value(nullptr);
  if (t.token) o["token"] = *t.token;
  return o;
}

json::object ToJson(const AuditEntry& e) {
  return {{"id", e.id},
          {"at", e.at},
          {"actorUserId", e.actor_user_id ? json::value(*e.actor_user_id) : json::value(nullptr)},
          {"actorEmail", e.actor_email},
          {"organizationId",
           e.organization_id ? json::value(*e.organization_id) : json::value(nullptr)},
          {"action", e.action},
          {"targetType", e.target_type},
          {"targetId", e.target_id},
          {"clientAddr", e.client_addr},
          {"detail", e.detail}};
}

}  // namespace pc::identity
