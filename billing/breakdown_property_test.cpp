// Figures that add up (issue 17 item 5), a property test on SQLite and PostgreSQL: for random
// months of usage (seeded) with random pricing rules, every breakdown the API returns (per day,
// per meter category, per Azure subscription) and detail.csv's BilledCharge column sum exactly
// to the month-to-date shown, and the invoice line of the close equals that month-to-date.
#include <gtest/gtest.h>

#include <random>

#include "billing/charges.h"
#include "billing/month_close.h"
#include "billing/usage_import.h"
#include "store/migrated_database_test.h"

namespace pc::billing {
namespace {

using store::TestBackend;

std::string Digits(std::mt19937_64& r, int places) {
  std::string out;
  for (int i = 0; i < places; ++i) out += static_cast<char>('0' + r() % 10);
  return out;
}

class BreakdownPropertyTest : public store::MigratedDatabaseTest {};

Decimal SumOf(const json::array& items) {
  Decimal sum;
  for (const auto& i : items) {
    sum = sum.Add(Decimal::Parse(std::string(i.at("charge").as_string())).value()).value();
  }
  return sum;
}

TEST_P(BreakdownPropertyTest, EveryBreakdownSumsToTheMonthToDateAndTheInvoiceLineEqualsIt) {
  const char* categories[] = {"Virtual Machines", "Storage", "Bandwidth", "SQL Database"};
  for (int seed = 1; seed <= 6; ++seed) {
    std::mt19937_64 r(static_cast<uint64_t>(seed) * 7919);
    const std::string alias = "PROP" + std::to_string(seed);
    const YearMonth month = YearMonth::Of(2023, seed).value();
    const int subscriptions = 1 + static_cast<int>(r() % 4);
    auto st = db_->InTransaction([&](store::Transaction& tx) -> Status {
      for (int s = 0; s < subscriptions; ++s) {
        PC_RETURN_IF_ERROR(
            tx.Execute("INSERT INTO azure_subscriptions_map (azure_subscription_id, customer_id, "
                       "billing_alias) VALUES (?, '', ?)",
                       {"sub-" + std::to_string(seed) + "-" + std::to_string(s), alias}));
      }
      // A markup or discount with up to 4 decimals on one category, sometimes.
      if (r() % 2) {
        PC_RETURN_IF_ERROR(tx.Execute(
            "INSERT INTO pricing_rules (id, billing_alias, meter_category, percent, "
            "effective_from, effective_to, note, created_at, created_by) VALUES (?, ?, ?, ?, ?, "
            "NULL, '', '', 'test')",
            {"rule-" + std::to_string(seed), alias, std::string(categories[r() % 4]),
             std::string(r() % 3 ? "" : "-") + std::to_string(r() % 20) + "." + Digits(r, 4),
             month.ToString() + "-01"}));
      }
      return {};
    });
    ASSERT_TRUE(st.ok()) << st.error().message;
    std::string csv =
        "CustomerId,EntitlementId,UsageDate,MeterCategory,ResourceURI,UnitPrice,Quantity,"
        "BillingPreTaxTotal,BillingCurrency,ChargeType\n";
    const int lines = 200 + static_cast<int>(r() % 800);
    for (int i = 0; i < lines; ++i) {
      int day = 1 + static_cast<int>(r() % 28);
      bool refund = r() % 15 == 0;
      csv += "c,sub-" + std::to_string(seed) + "-" + std::to_string(r() % subscriptions) + "," +
             month.ToString() + "-" + (day < 10 ? "0" : "") + std::to_string(day) + "," +
             categories[r() % 4] + ",/r/" + std::to_string(i) + "," + std::to_string(r() % 3) +
             "." + Digits(r, 1 + static_cast<int>(r() % 8)) + "," + (refund ? "-" : "") +
             std::to_string(r() % 100) + "." + Digits(r, 1 + static_cast<int>(r() % 6)) +
             ",0,USD," + (refund ? "Refund" : "Usage") + "\n";
    }
    ImportOptions options;
    auto report = ImportUsage(
        *db_, identity::SystemPrincipal(),
        [&csv]() -> Result<std::unique_ptr<ByteSource>> { return MemorySource(csv); }, options);
    ASSERT_TRUE(report.ok()) << report.error().message;
    ASSERT_EQ(report->rows_rejected, 0) << report->rejections.front().ToString();

    auto summary = db_->InTransaction<BillingSummary>(
        [&](store::Transaction& tx) { return SummarizeMonth(tx, alias, month); });
    ASSERT_TRUE(summary.ok()) << summary.error().message;
    auto body = ToJson(*summary);
    Decimal mtd = Decimal::Parse(std::string(body.at("mtd").as_string())).value();
    EXPECT_EQ(mtd, summary->estimate.mtd.RoundHalfUp(2)) << "seed " << seed;
    EXPECT_EQ(SumOf(body.at("daily").as_array()), mtd) << "seed " << seed;
    EXPECT_EQ(SumOf(body.at("byMeterCategory").as_array()), mtd) << "seed " << seed;
    EXPECT_EQ(SumOf(body.at("byAzureSubscription").as_array()), mtd) << "seed " << seed;

    // detail.csv: the last column (BilledCharge) of every row.
    auto rows = db_->InTransaction<std::vector<PricedRollup>>(
        [&](store::Transaction& tx) { return LoadPricedRollups(tx, alias, month); });
    ASSERT_TRUE(rows.ok());
    auto detail = DetailCsv(*rows);
    ASSERT_TRUE(detail.ok());
    Decimal billed;
    size_t at = detail->find("\r\n") + 2;  // after the header
    int detail_rows = 0;
    while (at < detail->size()) {
      size_t end = detail->find("\r\n", at);
      std::string row = detail->substr(at, end - at);
      billed = billed.Add(Decimal::Parse(row.substr(row.rfind(',') + 1)).value()).value();
      ++detail_rows;
      at = end + 2;
    }
    EXPECT_GT(detail_rows, 0);
    EXPECT_EQ(billed, mtd) << "seed " << seed;

    auto close = CloseMonth(*db_, identity::SystemPrincipal(), month, month.End(),
                            [](const InvoiceLine&) -> Status { return {}; });
    ASSERT_TRUE(close.ok()) << close.error().message;
    bool found = false;
    for (const auto& l : close->created) {
      if (l.billing_alias != alias) continue;
      found = true;
      EXPECT_EQ(Decimal::Parse(l.amount).value(), mtd) << "seed " << seed;
    }
    EXPECT_TRUE(found) << "seed " << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, BreakdownPropertyTest,
                         testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) {
                           return info.param == TestBackend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace pc::billing
