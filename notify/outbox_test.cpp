// The outbox sender on SQLite and PostgreSQL: a restarted process (a new run of the same
// instance) takes over at once the emails its killed run had leased, and leaves the leases of
// other live processes alone.
#include "notify/outbox.h"

#include <gtest/gtest.h>

#include "core/random.h"
#include "core/time.h"
#include "store/scratch_database.h"

namespace pc::notify {
namespace {

using store::TestBackend;

class OutboxTest : public testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    InitCrypto();
    auto created = scratch_.Create(GetParam());
    ASSERT_TRUE(created.ok()) << created.error().message;
    auto db = store::Database::Open(scratch_.url());
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->Migrate().ok());
  }

  void Exec(const std::string& sql, const std::vector<store::Param>& params = {}) {
    auto tx = db_->Begin();
    ASSERT_TRUE(tx.ok());
    auto done = (*tx)->Execute(sql, params);
    ASSERT_TRUE(done.ok()) << done.error().message;
    ASSERT_TRUE((*tx)->Commit().ok());
  }

  // An unsent email leased by `owner` for another minute.
  void Leased(const std::string& id, const std::string& owner) {
    Exec(
        "INSERT INTO outbox_emails (id, to_address, subject, body, created_at, lease_until, "
        "lease_owner) VALUES (?, 'a@example.com', 's', 'b', ?, ?, ?)",
        {id, FormatTimestamp(Now()), FormatTimestamp(Now() + std::chrono::seconds(60)), owner});
  }

  std::string Lease(const std::string& id) {
    auto tx = db_->Begin();
    auto rows = (*tx)->Query(
        "SELECT lease_owner, attempts, CASE WHEN lease_until IS NULL THEN 1 ELSE 0 END "
        "FROM outbox_emails "
        "WHERE id = ?",
        {id});
    const auto& r = rows->at(0);
    return r.Text(0) + "|" + std::to_string(r.Int(1)) + "|" + (r.Int(2) ? "free" : "leased");
  }

  store::ScratchDatabase scratch_;
  std::unique_ptr<store::Database> db_;
};

TEST_P(OutboxTest, ANewRunTakesOverItsKilledRunsEmailsAtOnce) {
  Leased("killed-run", "inst-a:old");
  Leased("other-live", "inst-b:live");
  Leased("this-run", "inst-a:now");
  Leased("longer-name", "inst-a2:live");
  // No relay listens on port 1: a delivery attempt fails at once and is counted.
  OutboxSender sender(*db_, "smtp://127.0.0.1:1", "from@example.com", std::chrono::seconds(1),
                      "inst-a", "now");
  EXPECT_EQ(sender.SendDue(), 0);
  EXPECT_EQ(Lease("killed-run"), "inst-a:old|0|leased");  // nothing was due

  auto reclaimed = sender.ReclaimPreviousIncarnations();
  ASSERT_TRUE(reclaimed.ok()) << reclaimed.error().message;
  EXPECT_EQ(*reclaimed, 1);
  EXPECT_EQ(Lease("killed-run"), "|0|free");
  EXPECT_EQ(Lease("other-live"), "inst-b:live|0|leased");
  EXPECT_EQ(Lease("this-run"), "inst-a:now|0|leased");
  EXPECT_EQ(Lease("longer-name"), "inst-a2:live|0|leased");

  // Now, not in a minute, it is tried (and, failing, backs off without an owner).
  EXPECT_EQ(sender.SendDue(), 0);
  EXPECT_EQ(Lease("killed-run"), "|1|leased");
  EXPECT_EQ(Lease("other-live"), "inst-b:live|0|leased");
}

INSTANTIATE_TEST_SUITE_P(Backends, OutboxTest,
                         testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return store::TestBackendName(info.param); });

}  // namespace
}  // namespace pc::notify
