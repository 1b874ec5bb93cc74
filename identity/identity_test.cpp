// Authentication on SQLite and PostgreSQL: what a revocation changes, on the instance that made
// it and on another one sharing the database, and that checking a credential never writes.
#include "identity/identity.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "store/scratch_database.h"

namespace pc::identity {
namespace {

using store::TestBackend;
using namespace std::chrono_literals;

IdentityOptions Options(std::chrono::milliseconds cache_ttl) {
  IdentityOptions o;
  o.auth_cache_ttl = cache_ttl;
  o.token_use_flush_interval = 0ms;  // the test flushes
  o.password_hash_concurrency = 1;
  return o;
}

class IdentityAuthTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    auto created = scratch_.Create(GetParam());
    ASSERT_TRUE(created.ok()) << created.error().message;
    db_ = OpenDb();
    ASSERT_TRUE(db_->Migrate().ok());
  }

  std::unique_ptr<store::Database> OpenDb() {
    auto db = store::Database::Open(scratch_.url());
    EXPECT_TRUE(db.ok()) << db.error().message;
    return std::move(db).value();
  }

  // A customer admin, logged in: the session token, and an API token of theirs.
  struct Credentials {
    std::string session;
    std::string api_token;
    std::string api_token_id;
    std::string user_id;
  };
  Credentials MakeUser(IdentityService& identity, const std::string& email) {
    Credentials c;
    auto org = identity.CreateOrganization(SystemPrincipal(), "Org " + email, "customer");
    EXPECT_TRUE(org.ok()) << org.error().message;
    auto user = identity.CreateUser(SystemPrincipal(),
                                    {org->id, email, "A User", Role::kOrgAdmin, "correct-horse-1"});
    EXPECT_TRUE(user.ok()) << user.error().message;
    c.user_id = user->id;
    auto login = identity.Login(email, "correct-horse-1", "127.0.0.1");
    EXPECT_TRUE(login.ok()) << login.error().message;
    c.session = login->token;
    auto who = identity.Authenticate(c.session, "127.0.0.1");
    EXPECT_TRUE(who.ok()) << who.error().message;
    auto token = identity.CreateApiToken(*who, "ci", std::nullopt);
    EXPECT_TRUE(token.ok()) << token.error().message;
    c.api_token = *token->token;
    c.api_token_id = token->id;
    return c;
  }

  std::optional<std::string> LastUsedInDatabase(const std::string& token_id) {
    auto tx = db_->Begin();
    EXPECT_TRUE(tx.ok());
    auto rows = (*tx)->Query("SELECT last_used_at FROM api_tokens WHERE id = ?", {token_id});
    EXPECT_TRUE(rows.ok() && rows->size() == 1);
    if ((*rows)[0].IsNull("last_used_at")) return std::nullopt;
    return (*rows)[0].Text("last_used_at");
  }

  store::ScratchDatabase scratch_;
  std::unique_ptr<store::Database> db_;
};

TEST_P(IdentityAuthTest, RevocationTakesEffectOnTheNextRequestOfTheSameInstance) {
  IdentityService identity(*db_, Options(60s));  // a long cache: only forgetting can explain it
  auto c = MakeUser(identity, "admin@example.com");
  auto by_session = identity.Authenticate(c.session, "10.0.0.1");
  ASSERT_TRUE(by_session.ok());
  EXPECT_EQ(by_session->client_addr, "10.0.0.1");
  ASSERT_TRUE(identity.Authenticate(c.session, "10.0.0.2").ok());  // from the cache
  auto by_token = identity.Authenticate(c.api_token, "10.0.0.1");
  ASSERT_TRUE(by_token.ok());
  EXPECT_EQ(by_token->via, Principal::Via::kApiToken);

  ASSERT_TRUE(identity.RevokeApiToken(*by_session, c.api_token_id).ok());
  auto after = identity.Authenticate(c.api_token, "10.0.0.1");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, ErrorCode::kUnauthenticated);
  ASSERT_TRUE(identity.Authenticate(c.session, "10.0.0.1").ok());

  ASSERT_TRUE(identity.Logout(*by_session).ok());
  auto ended = identity.Authenticate(c.session, "10.0.0.1");
  ASSERT_FALSE(ended.ok());
  EXPECT_EQ(ended.error().code, ErrorCode::kUnauthenticated);
}

TEST_P(IdentityAuthTest, DisablingAUserEndsTheirCachedSessionAtOnce) {
  IdentityService identity(*db_, Options(60s));
  auto admin = MakeUser(identity, "admin@example.com");
  auto member = MakeUser(identity, "member@example.com");
  ASSERT_TRUE(identity.Authenticate(member.session, "127.0.0.1").ok());
  ASSERT_TRUE(identity.Authenticate(member.api_token, "127.0.0.1").ok());
  UserChanges disable;
  disable.disabled = true;
  ASSERT_TRUE(identity.UpdateUser(SystemPrincipal(), member.user_id, disable).ok());
  EXPECT_FALSE(identity.Authenticate(member.session, "127.0.0.1").ok());
  EXPECT_FALSE(identity.Authenticate(member.api_token, "127.0.0.1").ok());
  EXPECT_TRUE(identity.Authenticate(admin.session, "127.0.0.1").ok());
}

// Two instances on one database, as two servers behind a load balancer: a revocation made on
// one is seen by the other within the other's cache lifetime, and at once without a cache.
TEST_P(IdentityAuthTest, RevocationReachesAnotherInstanceWithinItsCacheLifetime) {
  auto other_db = OpenDb();
  IdentityService here(*db_, Options(60s));
  IdentityService there(*other_db, Options(1s));
  IdentityService uncached(*other_db, Options(0ms));
  auto c = MakeUser(here, "admin@example.com");
  auto who = here.Authenticate(c.session, "127.0.0.1");
  ASSERT_TRUE(who.ok());
  ASSERT_TRUE(there.Authenticate(c.api_token, "127.0.0.1").ok());
  ASSERT_TRUE(there.Authenticate(c.session, "127.0.0.1").ok());

  auto revoked_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(here.RevokeApiToken(*who, c.api_token_id).ok());
  ASSERT_TRUE(here.Logout(*who).ok());
  EXPECT_FALSE(uncached.Authenticate(c.api_token, "127.0.0.1").ok());
  EXPECT_FALSE(uncached.Authenticate(c.session, "127.0.0.1").ok());

  // Wait for the condition; the documented bound is the cache lifetime (1 s here). The deadline
  // leaves room for a slow machine; the elapsed time must still be within the bound plus the
  // time one check takes.
  bool token_refused = false, session_refused = false;
  auto deadline = revoked_at + 30s;
  while (!(token_refused && session_refused) && std::chrono::steady_clock::now() < deadline) {
    token_refused = token_refused || !there.Authenticate(c.api_token, "127.0.0.1").ok();
    session_refused = session_refused || !there.Authenticate(c.session, "127.0.0.1").ok();
    if (!(token_refused && session_refused)) std::this_thread::sleep_for(20ms);
  }
  auto took = std::chrono::steady_clock::now() - revoked_at;
  EXPECT_TRUE(token_refused);
  EXPECT_TRUE(session_refused);
  EXPECT_LT(took, 1s + 5s) << "the other instance kept accepting a revoked credential";
}

TEST_P(IdentityAuthTest, CheckingATokenNeverWritesItsLastUseIsFlushedInBatches) {
  IdentityService identity(*db_, Options(0ms));  // every check reads the database
  auto c = MakeUser(identity, "admin@example.com");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(identity.Authenticate(c.api_token, "127.0.0.1").ok());
  EXPECT_FALSE(LastUsedInDatabase(c.api_token_id).has_value());
  // The owner already sees it in the list (from memory).
  auto who = identity.Authenticate(c.session, "127.0.0.1");
  ASSERT_TRUE(who.ok());
  auto listed = identity.ListApiTokens(*who);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  ASSERT_TRUE((*listed)[0].last_used_at.has_value());
  ASSERT_TRUE(identity.FlushTokenUse().ok());
  auto written = LastUsedInDatabase(c.api_token_id);
  ASSERT_TRUE(written.has_value());
  EXPECT_EQ(*written, *(*listed)[0].last_used_at);
}

TEST_P(IdentityAuthTest, PendingLastUseIsWrittenWhenTheServiceStops) {
  std::string token_id;
  {
    IdentityService identity(*db_, Options(5s));
    auto c = MakeUser(identity, "admin@example.com");
    token_id = c.api_token_id;
    ASSERT_TRUE(identity.Authenticate(c.api_token, "127.0.0.1").ok());
    ASSERT_TRUE(identity.Authenticate(c.api_token, "127.0.0.1").ok());  // cached: still counted
    EXPECT_FALSE(LastUsedInDatabase(token_id).has_value());
  }
  EXPECT_TRUE(LastUsedInDatabase(token_id).has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends, IdentityAuthTest,
                         testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return store::TestBackendName(info.param); });

}  // namespace
}  // namespace pc::identity
