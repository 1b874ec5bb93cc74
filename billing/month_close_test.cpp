// Month close on SQLite and PostgreSQL: one line per alias, exactly once, reconciliation of
// late usage, and a crash between the post and its record.
#include "billing/month_close.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "billing/charges.h"
#include "billing/pricing.h"
#include "store/scratch_database.h"

namespace pc::billing {
namespace {

using store::TestBackend;

Timestamp At(const char* text) { return ParseTimestamp(text).value(); }
YearMonth M(const char* text) { return YearMonth::Parse(text).value(); }

// The invoice sink as the sandbox implements it: idempotent on the key.
struct FakeSink {
  std::map<std::string, std::string> lines;  // key -> "alias|month|description|amount"
  int calls = 0;
  int fail_after_storing = 0;  // the next N posts are stored, then reported as failures
  LinePoster Poster() {
    return [this](const InvoiceLine& l) -> Status {
      ++calls;
      std::string body =
          l.billing_alias + "|" + l.invoice_month + "|" + l.description + "|" + l.amount;
      auto [it, fresh] = lines.emplace(l.key, body);
      if (!fresh && it->second != body) return Conflict("different body for " + l.key);
      if (fail_after_storing > 0) {
        --fail_after_storing;
        return Unavailable("connection reset after the sink stored the line");
      }
      return {};
    };
  }
};

class MonthCloseTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    auto created = scratch_.Create(GetParam());
    ASSERT_TRUE(created.ok()) << created.error().message;
    auto db = store::Database::Open(scratch_.url());
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->Migrate().ok());
  }

  void AddRollup(const std::string& alias, const std::string& day, const std::string& charge,
                 const std::string& category = "Storage") {
    auto st = db_->InTransaction([&](store::Transaction& tx) -> Status {
      PC_RETURN_IF_ERROR(tx.Execute(
          "INSERT INTO usage_rollups (billing_alias, customer_id, azure_subscription_id, "
          "meter_category, usage_day, currency, quantity, charge, partner_cost, line_count, "
          "updated_at) VALUES (?, 'c', 's', ?, ?, 'USD', '1', '0', '0', 0, '') "
          "ON CONFLICT DO NOTHING",
          {alias, category, day}));
      PC_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT charge FROM usage_rollups WHERE "
                                              "billing_alias = ? AND usage_day = ? AND "
                                              "meter_category = ?",
                                              {alias, day, category}));
      auto sum = Decimal::Parse(rows[0].Text(0))->Add(Decimal::Parse(charge).value()).value();
      PC_RETURN_IF_ERROR(
          tx.Execute("UPDATE usage_rollups SET charge = ?, updated_at = ? WHERE "
                     "billing_alias = ? AND usage_day = ? AND meter_category = ?",
                     {sum.ToString(), FormatTimestamp(Now()), alias, day, category}));
      return {};
    });
    ASSERT_TRUE(st.ok()) << st.error().message;
  }

  std::vector<InvoiceLine> Lines(const std::string& alias) {
    return db_
        ->InTransaction<std::vector<InvoiceLine>>(
            [&](store::Transaction& tx) { return ListInvoiceLines(tx, alias); })
        .value();
  }

  store::ScratchDatabase scratch_;
  std::unique_ptr<store::Database> db_;
  identity::Principal system_ = identity::SystemPrincipal();
};

TEST_P(MonthCloseTest, OneLinePerAliasExactlyOnceThenReconciliation) {
  AddRollup("ACME", "2024-03-01", "10.005");
  AddRollup("ACME", "2024-03-31", "0.001", "Compute");
  AddRollup("BETA", "2024-03-15", "5");
  AddRollup("ACME", "2024-04-01", "99");  // April: not part of the March close
  FakeSink sink;

  auto early = CloseMonth(*db_, system_, M("2024-03"), At("2024-03-31T23:59:59Z"), sink.Poster());
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(early.error().message.find("has not ended"), std::string::npos);

  auto first = CloseMonth(*db_, system_, M("2024-03"), At("2024-04-01T00:00:00Z"), sink.Poster());
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_FALSE(first->already_closed);
  ASSERT_EQ(first->created.size(), 2u);
  EXPECT_EQ(first->posted, 2);
  EXPECT_EQ(sink.lines.at("ACME:2024-03:usage:USD"),
            "ACME|2024-03|Integrated Azure Services Usage|10.01");  // 10.006 rounded once
  EXPECT_EQ(sink.lines.at("BETA:2024-03:usage:USD"),
            "BETA|2024-03|Integrated Azure Services Usage|5.00");

  auto again = CloseMonth(*db_, system_, M("2024-03"), At("2024-04-02T00:00:00Z"), sink.Poster());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_closed);
  EXPECT_TRUE(again->created.empty());
  EXPECT_EQ(sink.calls, 2);
  EXPECT_EQ(sink.lines.size(), 2u);

  // Late March usage, then the April close bills exactly the difference: 11.240 → 11.24,
  // minus the 10.01 billed.
  AddRollup("ACME", "2024-03-20", "1.234");
  auto april = CloseMonth(*db_, system_, M("2024-04"), At("2024-05-01T00:00:00Z"), sink.Poster());
  ASSERT_TRUE(april.ok()) << april.error().message;
  EXPECT_EQ(sink.lines.at("ACME:2024-04:update:2024-03:USD"),
            "ACME|2024-04|Update to Previous Month Microsoft Azure Services|1.23");
  EXPECT_EQ(sink.lines.at("ACME:2024-04:usage:USD"),
            "ACME|2024-04|Integrated Azure Services Usage|99.00");
  EXPECT_EQ(sink.lines.count("BETA:2024-04:update:2024-03:USD"), 0u);  // unchanged
  auto acme = Lines("ACME");
  ASSERT_EQ(acme.size(), 3u);
  for (const auto& l : acme) EXPECT_EQ(l.state, "posted");

  // A credit arriving even later: the May close refunds it exactly.
  AddRollup("ACME", "2024-03-21", "-2.5");
  auto may = CloseMonth(*db_, system_, M("2024-05"), At("2024-06-01T00:00:00Z"), sink.Poster());
  ASSERT_TRUE(may.ok());
  EXPECT_EQ(sink.lines.at("ACME:2024-05:update:2024-03:USD"),
            "ACME|2024-05|Update to Previous Month Microsoft Azure Services|-2.50");

  // Pricing rules cannot reach back into a closed month.
  PricingRule rule;
  rule.billing_alias = "ACME";
  rule.percent = Decimal::FromInt(10);
  rule.effective_from = "2024-05-10";
  auto refused = CreatePricingRule(*db_, system_, rule);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
  rule.effective_from = "2024-06-01";
  EXPECT_TRUE(CreatePricingRule(*db_, system_, rule).ok());
}

// Two closes at once (of the two months after a month with late usage) bill the late usage
// once between them.
TEST_P(MonthCloseTest, ConcurrentClosesBillLateUsageOnce) {
  std::atomic<int> posts{0};
  LinePoster poster = [&posts](const InvoiceLine&) -> Status {
    ++posts;
    return {};
  };
  for (int k = 0; k < 6; ++k) {
    YearMonth base = M("2020-01");
    for (int i = 0; i < 3 * k; ++i) base = base.Next();
    std::string day = base.ToString() + "-10";
    AddRollup("ACME", day, "10");
    ASSERT_TRUE(CloseMonth(*db_, system_, base, base.End(), poster).ok());
    AddRollup("ACME", day, "2.5");  // late
    Result<CloseReport> a = Internal("not run"), b = Internal("not run");
    std::thread first(
        [&] { a = CloseMonth(*db_, system_, base.Next(), base.Next().End(), poster); });
    std::thread second([&] {
      b = CloseMonth(*db_, system_, base.Next().Next(), base.Next().Next().End(), poster);
    });
    first.join();
    second.join();
    ASSERT_TRUE(a.ok()) << a.error().message;
    ASSERT_TRUE(b.ok()) << b.error().message;
    Decimal billed;
    int updates = 0;
    for (const auto& l : Lines("ACME")) {
      if (l.usage_month != base.ToString()) continue;
      billed = billed.Add(Decimal::Parse(l.amount).value()).value();
      if (l.kind == "update") ++updates;
    }
    EXPECT_EQ(updates, 1) << base.ToString();
    EXPECT_EQ(billed, Decimal::Parse("12.5").value())
        << base.ToString() << ": " << billed.ToString();
  }
}

TEST_P(MonthCloseTest, CrashBetweenPostAndRecordPostsOnce) {
  AddRollup("ACME", "2024-03-05", "7.125");
  FakeSink sink;
  sink.fail_after_storing = 1;  // the sink stores the line, the answer is lost
  auto first = CloseMonth(*db_, system_, M("2024-03"), At("2024-04-01T00:00:00Z"), sink.Poster());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->posted, 0);
  ASSERT_EQ(first->failures.size(), 1u);
  EXPECT_EQ(Lines("ACME").at(0).state, "intent");

  std::vector<std::string> failures;
  auto posted = PostPendingLines(*db_, sink.Poster(), failures);
  ASSERT_TRUE(posted.ok());
  EXPECT_EQ(*posted, 1);
  EXPECT_TRUE(failures.empty());
  EXPECT_EQ(sink.lines.size(), 1u);
  EXPECT_EQ(sink.lines.at("ACME:2024-03:usage:USD"),
            "ACME|2024-03|Integrated Azure Services Usage|7.13");
  EXPECT_EQ(Lines("ACME").at(0).state, "posted");
}

TEST_P(MonthCloseTest, PricingRulesApplyAtReadTimeByDay) {
  AddRollup("ACME", "2024-03-01", "100");
  AddRollup("ACME", "2024-03-02", "100");
  AddRollup("ACME", "2024-03-02", "50", "Compute");
  PricingRule markup;
  markup.billing_alias = "ACME";
  markup.percent = Decimal::FromInt(10);
  markup.effective_from = "2024-03-02";
  ASSERT_TRUE(CreatePricingRule(*db_, system_, markup).ok());
  PricingRule storage = markup;
  storage.meter_category = "Storage";
  storage.percent = Decimal::Parse("-12.5").value();
  ASSERT_TRUE(CreatePricingRule(*db_, system_, storage).ok());
  auto summary = db_->InTransaction<BillingSummary>(
      [&](store::Transaction& tx) { return SummarizeMonth(tx, "ACME", M("2024-03")); });
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  // 100 (no rule on the 1st) + 100 × 0.875 (alias+category) + 50 × 1.1 (alias) = 242.5
  EXPECT_EQ(summary->estimate.mtd, Decimal::Parse("242.5").value());
  EXPECT_EQ(summary->by_meter_category.at("Compute"), Decimal::FromInt(55));
  auto none = db_->InTransaction<BillingSummary>(
      [&](store::Transaction& tx) { return SummarizeMonth(tx, "ACME", M("2024-04")); });
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
}

TEST_P(MonthCloseTest, SchedulerPicksEndedUnclosedMonths) {
  AddRollup("ACME", "2024-01-05", "1");
  AddRollup("ACME", "2024-03-05", "1");
  auto months = MonthsToClose(*db_, At("2024-04-01T05:00:00Z"), std::chrono::hours(6));
  ASSERT_TRUE(months.ok());
  // March ended less than 6 hours ago: only January and February are due.
  ASSERT_EQ(months->size(), 2u);
  EXPECT_EQ((*months)[0].ToString(), "2024-01");
  EXPECT_EQ((*months)[1].ToString(), "2024-02");
  FakeSink sink;
  ASSERT_TRUE(
      CloseMonth(*db_, system_, M("2024-01"), At("2024-04-01T05:00:00Z"), sink.Poster()).ok());
  // Later: March is due; February, without usage and no longer the previous month, is not.
  months = MonthsToClose(*db_, At("2024-04-01T06:00:00Z"), std::chrono::hours(6));
  ASSERT_EQ(months->size(), 1u);
  EXPECT_EQ((*months)[0].ToString(), "2024-03");
}

INSTANTIATE_TEST_SUITE_P(Backends, MonthCloseTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return store::TestBackendName(info.param); });

}  // namespace
}  // namespace pc::billing
