#include "store/store.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "store/backend.h"
#include "store/migrations.h"
#include "store/scratch_database.h"

namespace pc::store {
namespace {

#define ASSERT_OK(expr)                                         \
  do {                                                          \
    auto&& assert_ok_ = (expr);                                 \
    ASSERT_TRUE(assert_ok_.ok()) << assert_ok_.error().message; \
  } while (0)

enum class Backend { kSqlite, kPostgres };

class StoreTest : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto created = scratch_.Create(GetParam() == Backend::kSqlite ? TestBackend::kSqlite
                                                                  : TestBackend::kPostgres);
    ASSERT_TRUE(created.ok()) << created.error().message;
    url_ = scratch_.url();
    auto db = Database::Open(url_);
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
  }

  void TearDown() override { db_.reset(); }

  Database& db() { return *db_; }

  // Runs statements in one committed transaction.
  void Exec(const std::vector<std::string>& statements) {
    auto tx = db().Begin();
    ASSERT_TRUE(tx.ok()) << tx.error().message;
    for (const auto& sql : statements) ASSERT_OK((*tx)->Execute(sql));
    ASSERT_OK((*tx)->Commit());
  }

  int64_t Count(const std::string& table) {
    auto tx = db().Begin();
    EXPECT_TRUE(tx.ok()) << tx.error().message;
    if (!tx.ok()) return -1;
    auto rows = (*tx)->Query("SELECT COUNT(*) AS n FROM " + table);
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    return rows.ok() ? rows->at(0).Int("n") : -1;
  }

  std::string url_;
  std::unique_ptr<Database> db_;

 private:
  ScratchDatabase scratch_;
};

TEST_P(StoreTest, DialectMatchesTheUrl) {
  EXPECT_EQ(db().dialect(), GetParam() == Backend::kSqlite ? Dialect::kSqlite : Dialect::kPostgres);
  auto tx = db().Begin();
  ASSERT_OK(tx);
  EXPECT_EQ((*tx)->dialect(), db().dialect());
}

TEST_P(StoreTest, PingSucceeds) { ASSERT_OK(db().Ping()); }

TEST_P(StoreTest, MigratesAnEmptyDatabase) {
  auto before = db().SchemaVersion();
  ASSERT_OK(before);
  EXPECT_EQ(*before, 0);

  ASSERT_OK(db().Migrate());

  auto after = db().SchemaVersion();
  ASSERT_OK(after);
  ASSERT_FALSE(CompiledMigrations().empty());
  EXPECT_EQ(*after, CompiledMigrations().back().version);
  EXPECT_GE(*after, 2);
  EXPECT_EQ(Count("schema_migrations"), static_cast<int64_t>(CompiledMigrations().size()));

  auto tx = db().Begin();
  ASSERT_OK(tx);
  auto names = (*tx)->Query(
      "SELECT version, name, applied_at FROM schema_migrations "
      "ORDER BY version");
  ASSERT_OK(names);
  EXPECT_EQ(names->at(0).Int("version"), 1);
  EXPECT_EQ(names->at(0).Text("name"), "identity");
  EXPECT_EQ(names->at(1).Text("name"), "audit_append_only");
  EXPECT_EQ(names->at(0).Text("applied_at").size(),
            std::string("2026-11-22T10:04:05.123456Z").size());
  // The identity tables are there and enforce their checks.
  ASSERT_OK(
      (*tx)->Execute("INSERT INTO organizations (id, name, kind, created_at) "
                     "VALUES ('o1', 'Contoso', 'customer', '2026-01-01T00:00:00.000000Z')"));
  for (const char* table : {"users", "sessions", "api_tokens", "login_throttle", "audit_log"}) {
    ASSERT_OK((*tx)->Query(std::string("SELECT * FROM ") + table));
  }
  auto bad_kind = (*tx)->Execute(
      "INSERT INTO organizations (id, name, kind, created_at) "
      "VALUES ('o2', 'Fabrikam', 'vendor', 'x')");
  ASSERT_FALSE(bad_kind.ok());
}

TEST_P(StoreTest, MigratingTwiceChangesNothing) {
  ASSERT_OK(db().Migrate());
  auto tx = db().Begin();
  ASSERT_OK(tx);
  auto first = (*tx)->Query("SELECT version, applied_at FROM schema_migrations ORDER BY version");
  ASSERT_OK(first);
  tx->reset();

  ASSERT_OK(db().Migrate());

  auto tx2 = db().Begin();
  ASSERT_OK(tx2);
  auto second = (*tx2)->Query("SELECT version, applied_at FROM schema_migrations ORDER BY version");
  ASSERT_OK(second);
  ASSERT_EQ(second->size(), first->size());
  for (size_t i = 0; i < first->size(); ++i) {
    EXPECT_EQ(second->at(i).Text("applied_at"), first->at(i).Text("applied_at"));
  }
  tx2->reset();
  auto version = db().SchemaVersion();
  ASSERT_OK(version);
  EXPECT_EQ(*version, CompiledMigrations().back().version);
}

TEST_P(StoreTest, ConcurrentMigrationsFromSeveralProcessesApplyEachOnce) {
  // Separate Database objects stand in for separate processes.
  std::vector<std::thread> threads;
  std::vector<std::string> errors(4);
  for (size_t i = 0; i < errors.size(); ++i) {
    threads.emplace_back([&, i] {
      auto db = Database::Open(url_);
      if (!db.ok()) {
        errors[i] = db.error().message;
        return;
      }
      if (Status s = (*db)->Migrate(); !s.ok()) errors[i] = s.error().message;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(Count("schema_migrations"), static_cast<int64_t>(CompiledMigrations().size()));
}

TEST_P(StoreTest, ParametersRoundTripAndLiteralsAreLeftAlone) {
  Exec({"CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT, n BIGINT)"});
  const std::string tricky = "it's a ? with \"quotes\" and $1 -- not a comment";
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  {
    auto tx = db().Begin();
    ASSERT_OK(tx);
    auto inserted = (*tx)->Execute("INSERT INTO notes (id, body, n) VALUES (?, ?, ?), (?, ?, ?)",
                                   {int64_t{1}, tricky, kMax, int64_t{2}, nullptr, kMin});
    ASSERT_OK(inserted);
    EXPECT_EQ(*inserted, 2);
    ASSERT_OK((*tx)->Commit());
  }
  auto tx = db().Begin();
  ASSERT_OK(tx);
  auto rows = (*tx)->Query(
      "SELECT id, body, n, 'what?' AS lit, 'it''s ?' AS escaped /* why? */ FROM notes -- ok?\n"
      "WHERE body IS NULL OR body <> 'x?' ORDER BY id");
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 2u);
  const Row& first = rows->at(0);
  EXPECT_EQ(first.Int("id"), 1);
  EXPECT_EQ(first.Text("body"), tricky);
  EXPECT_EQ(first.Int("n"), kMax);
  EXPECT_EQ(first.Text("lit"), "what?");
  EXPECT_EQ(first.Text(4), "it's ?");
  const Row& second = rows->at(1);
  EXPECT_TRUE(second.IsNull("body"));
  EXPECT_FALSE(second.Get(1).has_value());
  EXPECT_EQ(second.Text("body"), "");
  EXPECT_EQ(second.Int("n"), kMin);
  EXPECT_THROW(first.Int("body"), std::runtime_error);
  EXPECT_THROW(first.Text("nope"), std::out_of_range);

  auto by_param = (*tx)->Query("SELECT id FROM notes WHERE body = ? AND n = ?", {tricky, kMax});
  ASSERT_OK(by_param);
  ASSERT_EQ(by_param->size(), 1u);
  EXPECT_EQ(by_param->at(0).Int(0), 1);

  // NULL is untyped on PostgreSQL: where nothing gives it a type, the SQL has to.
  auto null_param =
      (*tx)->Query("SELECT COUNT(*) FROM notes WHERE CAST(? AS TEXT) IS NULL", {nullptr});
  ASSERT_OK(null_param);
  EXPECT_EQ(null_param->at(0).Int(0), 2);
  auto optional_filter =
      (*tx)->Query("SELECT COUNT(*) FROM notes WHERE ? IS NULL OR body = ?", {tricky, tricky});
  ASSERT_OK(optional_filter);
  EXPECT_EQ(optional_filter->at(0).Int(0), 1);
  auto echo = (*tx)->Query("SELECT ? AS i, ? AS s", {int64_t{-42}, std::string("x")});
  ASSERT_OK(echo);
  EXPECT_EQ(echo->at(0).Int("i"), -42);
  EXPECT_EQ(echo->at(0).Text("s"), "x");

  auto changed =
      (*tx)->Execute("UPDATE notes SET body = ? WHERE id > ?", {std::string("?"), int64_t{0}});
  ASSERT_OK(changed);
  EXPECT_EQ(*changed, 2);
}

TEST_P(StoreTest, WrongParameterCountIsAnError) {
  auto tx = db().Begin();
  ASSERT_OK(tx);
  auto rows = (*tx)->Query("SELECT ? AS a, '?' AS b", {});
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().code, ErrorCode::kInternal);
  EXPECT_NE(rows.error().message.find("placeholders"), std::string::npos) << rows.error().message;
}

TEST_P(StoreTest, DestroyingATransactionRollsItBack) {
  Exec({"CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT)"});
  {
    auto tx = db().Begin();
    ASSERT_OK(tx);
    ASSERT_OK((*tx)->Execute("INSERT INTO notes (id, body) VALUES (?, ?)", {int64_t{1}, "a"}));
  }
  EXPECT_EQ(Count("notes"), 0);
}

// The read paths' transactions (Database::BeginRead): they start while a writer holds its
// transaction open (SQLite would otherwise wait for it), see one snapshot, and cannot write.
TEST_P(StoreTest, ReadTransactionsSeeASnapshotDoNotWaitForTheWriterAndCannotWrite) {
  Exec({"CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT)",
        "INSERT INTO notes (id, body) VALUES (1, 'a')"});
  auto writer = db().Begin();
  ASSERT_OK(writer);
  ASSERT_OK((*writer)->Execute("INSERT INTO notes (id, body) VALUES (2, 'b')"));

  auto reader = db().BeginRead();
  ASSERT_OK(reader);
  auto before = (*reader)->Query("SELECT COUNT(*) FROM notes");
  ASSERT_OK(before);
  EXPECT_EQ((*before)[0].Int(0), 1) << "the writer has not committed";
  ASSERT_OK((*writer)->Commit());
  auto still = (*reader)->Query("SELECT COUNT(*) FROM notes");
  ASSERT_OK(still);
  EXPECT_EQ((*still)[0].Int(0), 1) << "one snapshot for the whole read transaction";
  auto write = (*reader)->Execute("INSERT INTO notes (id, body) VALUES (3, 'c')");
  EXPECT_FALSE(write.ok()) << "a read-only transaction wrote";
  reader->reset();

  Result<int64_t> after = db().InReadTransaction<int64_t>([](Transaction& tx) -> Result<int64_t> {
    PC_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT COUNT(*) FROM notes"));
    return rows[0].Int(0);
  });
  ASSERT_OK(after);
  EXPECT_EQ(*after, 2);
  EXPECT_EQ(Count("notes"), 2);
}

// PostgreSQL sends a read transaction's BEGIN with its first statement (one round trip fewer):
// what a caller sees is the same as with a BEGIN of its own.
TEST_P(StoreTest, ReadTransactionsReportErrorsRunNothingWhenEmptyAndLeaveTheConnectionUsable) {
  Exec({"CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT)",
        "INSERT INTO notes (id, body) VALUES (1, 'a')"});
  for (int round = 0; round < 3; ++round) {
    {
      auto empty = db().BeginRead();
      ASSERT_OK(empty);
      ASSERT_OK((*empty)->Commit());  // a read transaction without a statement
    }
    auto wrong = db().InReadTransaction<int64_t>([](Transaction& tx) -> Result<int64_t> {
      PC_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT COUNT(*) FROM no_such_table"));
      return rows[0].Int(0);
    });
    ASSERT_FALSE(wrong.ok());
    EXPECT_NE(wrong.error().message.find("no_such_table"), std::string::npos)
        << "the statement's own error: " << wrong.error().message;
    EXPECT_EQ(wrong.error().message.find("BEGIN"), std::string::npos) << wrong.error().message;
    auto right = db().InReadTransaction<std::string>([](Transaction& tx) -> Result<std::string> {
      PC_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT body FROM notes WHERE id = ?", {1}));
      PC_ASSIGN_OR_RETURN(auto again, tx.Query("SELECT COUNT(*) FROM notes"));
      return rows[0].Text(0) + std::to_string(again[0].Int(0));
    });
    ASSERT_OK(right);
    EXPECT_EQ(*right, "a1") << "round " << round;
  }
}

// A connection the server closed while it sat in the pool (a restart, an idle timeout) is
// replaced at the next transaction, read or write, without an error for the caller.
TEST_P(StoreTest, ConnectionsTheServerClosedAreReplaced) {
  if (GetParam() != Backend::kPostgres) GTEST_SKIP() << "PostgreSQL's pooled connections";
  Exec({"CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT)",
        "INSERT INTO notes (id, body) VALUES (1, 'a')"});
  // One attempt each (InReadTransaction would retry an Unavailable and hide a failure here).
  auto count = [&]() -> Result<int64_t> {
    PC_ASSIGN_OR_RETURN(auto tx, db().BeginRead());
    PC_ASSIGN_OR_RETURN(auto rows, tx->Query("SELECT COUNT(*) FROM notes"));
    PC_RETURN_IF_ERROR(tx->Commit());
    return rows[0].Int(0);
  };
  for (int round = 0; round < 2; ++round) {
    // Two connections in the pool, then every session of this database but one ended.
    {
      auto a = db().BeginRead();
      auto b = db().BeginRead();
      ASSERT_OK(a);
      ASSERT_OK(b);
      ASSERT_OK((*a)->Query("SELECT 1"));
      ASSERT_OK((*b)->Query("SELECT 1"));
    }
    auto killer = Database::Open(url_);
    ASSERT_OK(killer);
    auto ended = (*killer)->InTransaction<int64_t>([](Transaction& tx) -> Result<int64_t> {
      PC_ASSIGN_OR_RETURN(auto rows,
                          tx.Query("SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM "
                                   "pg_stat_activity WHERE datname = current_database() AND "
                                   "pid <> pg_backend_pid()) t"));
      return rows[0].Int(0);
    });
    ASSERT_OK(ended);
    EXPECT_GE(*ended, 2);
    killer->reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the sessions end
    if (round == 0) {
      auto n = count();
      ASSERT_OK(n);
      EXPECT_EQ(*n, 1);
      Exec({"INSERT INTO notes (id, body) VALUES (2, 'b')"});
    } else {
      Exec({"INSERT INTO notes (id, body) VALUES (3, 'c')"});
      auto n = count();
      ASSERT_OK(n);
      EXPECT_EQ(*n, 3);
    }
  }
}

TEST_P(StoreTest, UniqueAndForeignKeyViolationsAreConflicts) {
  ASSERT_OK(db().Migrate());
  const std::string secret_name = "Secret Customer Name";
  const std::string insert_org =
      "INSERT INTO organizations (id, name, kind, created_at) VALUES (?, ?, 'customer', ?)";
  {
    auto tx = db().Begin();
    ASSERT_OK(tx);
    ASSERT_OK((*tx)->Execute(insert_org, {"o1", secret_name, "2026-01-01T00:00:00.000000Z"}));
    ASSERT_OK((*tx)->Commit());
  }
  {
    auto tx = db().Begin();
    ASSERT_OK(tx);
    auto duplicate = (*tx)->Execute(insert_org, {"o2", secret_name, "2026-01-01T00:00:00.000000Z"});
    ASSERT_FALSE(duplicate.ok());
    EXPECT_EQ(duplicate.error().code, ErrorCode::kConflict) << duplicate.error().message;
    EXPECT_EQ(duplicate.error().message.find(secret_name), std::string::npos)
        << duplicate.error().message;
    EXPECT_NE(duplicate.error().message.find("name"), std::string::npos)
        << "names the constraint: " << duplicate.error().message;
    // The transaction is finished: later statements and Commit report the same error.
    auto after = (*tx)->Query("SELECT 1");
    ASSERT_FALSE(after.ok());
    EXPECT_EQ(after.error().code, ErrorCode::kConflict);
    Status commit = (*tx)->Commit();
    ASSERT_FALSE(commit.ok());
    EXPECT_EQ(commit.error().code, ErrorCode::kConflict);
  }
  {
    auto tx = db().Begin();
    ASSERT_OK(tx);
    auto orphan = (*tx)->Execute(
        "INSERT INTO users (id, organization_id, email, role, password_hash, created_at, "
        "updated_at) VALUES ('u1', 'no-such-org', 'a@example.com', 'org_admin', 'x', 't', 't')");
    ASSERT_FALSE(orphan.ok());
    EXPECT_EQ(orphan.error().code, ErrorCode::kConflict) << orphan.error().message;
  }
  EXPECT_EQ(Count("organizations"), 1);
  EXPECT_EQ(Count("users"), 0);
}

TEST_P(StoreTest, InTransactionCommitsOnSuccessAndRollsBackOnError) {
  Exec({"CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT)"});
  Result<int64_t> inserted = db().InTransaction<int64_t>([](Transaction& tx) -> Result<int64_t> {
    return tx.Execute("INSERT INTO notes (id, body) VALUES (1, 'kept')");
  });
  ASSERT_OK(inserted);
  EXPECT_EQ(*inserted, 1);

  int calls = 0;
  Status failed = db().InTransaction([&](Transaction& tx) -> Status {
    ++calls;
    PC_RETURN_IF_ERROR(tx.Execute("INSERT INTO notes (id, body) VALUES (2, 'dropped')"));
    return NotFound("no such thing");
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(calls, 1) << "only kUnavailable is retried";
  EXPECT_EQ(Count("notes"), 1);
}

TEST_P(StoreTest, InTransactionRetriesUnavailable) {
  Exec({"CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT)"});
  int calls = 0;
  Status status = db().InTransaction([&](Transaction& tx) -> Status {
    ++calls;
    PC_RETURN_IF_ERROR(tx.Execute("INSERT INTO notes (id, body) VALUES (1, 'once')"));
    if (calls < 3) return Unavailable("busy, try again");
    return Status::Ok();
  });
  ASSERT_OK(status);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(Count("notes"), 1);

  calls = 0;
  Status exhausted = db().InTransaction([&](Transaction&) -> Status {
    ++calls;
    return Unavailable("always busy");
  });
  ASSERT_FALSE(exhausted.ok());
  EXPECT_EQ(exhausted.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(calls, detail::kTransactionAttempts);
}

TEST_P(StoreTest, ConcurrentWritersLoseNothing) {
  Exec({"CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
        "CREATE TABLE increments (writer BIGINT NOT NULL, seq BIGINT NOT NULL, "
        "PRIMARY KEY (writer, seq))",
        "INSERT INTO counters (name, value) VALUES ('hits', 0)"});
  constexpr int kThreads = 8;
  constexpr int kIncrements = 50;
  std::vector<std::thread> threads;
  std::vector<std::string> errors(kThreads);
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kIncrements; ++i) {
        Status s = db().InTransaction([&](Transaction& tx) -> Status {
          PC_RETURN_IF_ERROR(tx.Execute("UPDATE counters SET value = value + 1 WHERE name = ?",
                                        {std::string("hits")}));
          PC_RETURN_IF_ERROR(tx.Execute("INSERT INTO increments (writer, seq) VALUES (?, ?)",
                                        {int64_t{w}, int64_t{i}}));
          return Status::Ok();
        });
        if (!s.ok()) {
          errors[w] = s.error().message;
          return;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  auto tx = db().Begin();
  ASSERT_OK(tx);
  auto rows = (*tx)->Query("SELECT value FROM counters WHERE name = 'hits'");
  ASSERT_OK(rows);
  EXPECT_EQ(rows->at(0).Int("value"), kThreads * kIncrements);
  tx->reset();
  EXPECT_EQ(Count("increments"), kThreads * kIncrements);
}

TEST_P(StoreTest, AuditLogIsAppendOnly) {
  ASSERT_OK(db().Migrate());
  Exec(
      {"INSERT INTO audit_log (id, at, action) "
       "VALUES ('0190a000-0000-7000-8000-000000000001', '2026-01-01T00:00:00.000000Z', "
       "'user.login')"});
  for (const char* sql : {"UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"}) {
    auto tx = db().Begin();
    ASSERT_OK(tx);
    auto changed = (*tx)->Execute(sql);
    ASSERT_FALSE(changed.ok()) << sql;
    EXPECT_EQ(changed.error().code, ErrorCode::kConflict) << changed.error().message;
    EXPECT_NE(changed.error().message.find("append-only"), std::string::npos)
        << changed.error().message;
  }
  auto tx = db().Begin();
  ASSERT_OK(tx);
  auto rows = (*tx)->Query("SELECT action FROM audit_log");
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->at(0).Text("action"), "user.login");
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const testing::TestParamInfo<Backend>& info) {
                           return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

TEST(DatabaseOpen, RejectsAnUnknownScheme) {
  auto db = Database::Open("mysql://root@localhost/db");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(db.error().message.find("mysql"), std::string::npos) << db.error().message;
}

TEST(DatabaseOpen, ConnectionErrorsDoNotShowThePassword) {
  // Port 1 on loopback refuses connections.
  auto db = Database::Open("postgresql://app:hunter2secret@127.0.0.1:1/partnercloud");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(db.error().message.find("hunter2secret"), std::string::npos) << db.error().message;
  EXPECT_NE(db.error().message.find("app@127.0.0.1:1/partnercloud"), std::string::npos)
      << db.error().message;
}

TEST(RewritePlaceholders, NumbersPlaceholdersOutsideLiteralsAndComments) {
  auto sql = internal::RewritePlaceholders(
      "SELECT ?, '?', 'it''s ?', E'\\'?', \"col?\", $$ ? $$, $x$ ? $x$ -- ?\n"
      "/* ? */ FROM t WHERE a = ? AND b = ?",
      3);
  ASSERT_OK(sql);
  EXPECT_EQ(*sql,
            "SELECT $1, '?', 'it''s ?', E'\\'?', \"col?\", $$ ? $$, $x$ ? $x$ -- ?\n"
            "/* ? */ FROM t WHERE a = $2 AND b = $3");
}

}  // namespace
}  // namespace pc::store
