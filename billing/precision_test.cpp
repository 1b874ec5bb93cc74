// A month whose usage lines carry 20 decimal places, with a 7.5% markup, closes (issue 17 item
// 6), on SQLite and PostgreSQL, to the cent of an independent computation in 256-bit integers.
#include "billing/precision.h"

#include <gtest/gtest.h>

#include <boost/multiprecision/cpp_int.hpp>
#include <map>

#include "billing/charges.h"
#include "billing/month_close.h"
#include "billing/usage_import.h"
#include "store/migrated_database_test.h"

namespace pc::billing {
namespace {

using store::TestBackend;
using Big = boost::multiprecision::cpp_int;

Big Pow10(int n) {
  Big v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}
// Text with exactly `places` decimals as an integer of 10^-places units.
Big Units(const std::string& text, int places) {
  size_t dot = text.find('.');
  std::string frac = dot == std::string::npos ? "" : text.substr(dot + 1);
  frac.resize(places, '0');
  return Big(text.substr(0, dot) + frac);
}
// v (of 10^-from units) rounded half away from zero to 10^-to units (v >= 0 here).
Big Round(const Big& v, int from, int to) {
  Big d = Pow10(from - to);
  Big q = v / d;
  if ((v % d) * 2 >= d) ++q;
  return q;
}

TEST(PrecisionTest, MulRoundedIsExactUpToTwentyPlacesAndRoundsBeyond) {
  auto d = [](const char* t) { return Decimal::Parse(t).value(); };
  EXPECT_EQ(MulRounded(d("1.5"), d("2.25"))->ToString(), "3.375");
  // 40 places: rounded half-up to 20.
  EXPECT_EQ(MulRounded(d("0.00000000000000000005"), d("0.5"))->ToString(),
            "0.00000000000000000003");
  EXPECT_EQ(MulRounded(d("-0.00000000000000000005"), d("0.5"))->ToString(),
            "-0.00000000000000000003");
  // Beyond 128 bits before rounding.
  EXPECT_EQ(MulRounded(d("99999999.99999999999999999999"), d("99999999.99999999999999999999"))
                ->ToString(),
            "9999999999999999.99999999999800000000");  // 10^16 - 2×10^-12 + 10^-40
  EXPECT_FALSE(d("99999999.99999999999999999999").Mul(d("99999999.99999999999999999999")).ok());
}

class HighPrecisionCloseTest : public store::MigratedDatabaseTest {};

TEST_P(HighPrecisionCloseTest, AMonthOfTwentyPlaceLinesWithAMarkupClosesToTheCent) {
  ASSERT_TRUE(db_->InTransaction([](store::Transaction& tx) -> Status {
                   PC_RETURN_IF_ERROR(tx.Execute(
                       "INSERT INTO azure_subscriptions_map (azure_subscription_id, customer_id, "
                       "billing_alias) VALUES ('sub-a', 'cust-1', 'ACME')"));
                   PC_RETURN_IF_ERROR(tx.Execute(
                       "INSERT INTO pricing_rules (id, billing_alias, meter_category, percent, "
                       "effective_from, effective_to, note, created_at, created_by) VALUES "
                       "('r1', 'ACME', NULL, '7.5', '2024-01-01', NULL, '', '', 'test')"));
                   return {};
                 })
                  .ok());
  std::string csv =
      "CustomerId,EntitlementId,UsageDate,MeterCategory,ResourceURI,UnitPrice,Quantity,"
      "BillingPreTaxTotal,BillingCurrency,ChargeType\n";
  std::map<int, Big> by_day;  // line charges rounded to 20 places, summed per day (the rollups)
  for (int i = 0; i < 300; ++i) {
    int day = 1 + i % 30;
    // 20 decimal places each; a product of 40 places and beyond 128 bits.
    std::string quantity = std::to_string(9000000 + i * 7) + "." +
                           std::to_string(12345678901234567890ULL - static_cast<uint64_t>(i));
    std::string price =
        std::to_string(12 + i % 5) + ".9876543210987654321" + std::to_string(i % 10);
    csv += "cust-1,sub-a,2024-01-" + std::string(day < 10 ? "0" : "") + std::to_string(day) +
           ",Storage,/r/" + std::to_string(i) + "," + price + "," + quantity + ",1,USD,Usage\n";
    by_day[day] += Round(Units(price, 20) * Units(quantity, 20), 40, 20);
  }
  ImportOptions options;
  options.file_name = "precise.csv";
  auto report = ImportUsage(
      *db_, identity::SystemPrincipal(),
      [&csv]() -> Result<std::unique_ptr<ByteSource>> { return MemorySource(csv); }, options);
  ASSERT_TRUE(report.ok()) << report.error().message;
  ASSERT_EQ(report->rows_rejected, 0) << report->rejections.front().ToString();
  ASSERT_EQ(report->rows_imported, 300);

  Big total = 0;  // each day's rollup × 1.075, rounded to 20 places, summed
  for (const auto& [day, charge] : by_day) total += Round(charge * 1075, 23, 20);
  Big cents = Round(total, 20, 2);
  std::string expected =
      Big(cents / 100).str() + "." + (cents % 100 < 10 ? "0" : "") + Big(cents % 100).str();

  std::vector<InvoiceLine> posted;
  auto close = CloseMonth(*db_, identity::SystemPrincipal(), YearMonth::Parse("2024-01").value(),
                          ParseTimestamp("2024-02-01T00:00:00Z").value(),
                          [&posted](const InvoiceLine& l) -> Status {
                            posted.push_back(l);
                            return {};
                          });
  ASSERT_TRUE(close.ok()) << close.error().message;
  ASSERT_EQ(close->created.size(), 1u);
  EXPECT_EQ(close->created[0].amount, expected);
  ASSERT_EQ(posted.size(), 1u);
  // The summary's month-to-date is the invoice line.
  auto summary = db_->InTransaction<BillingSummary>([](store::Transaction& tx) {
    return SummarizeMonth(tx, "ACME", YearMonth::Parse("2024-01").value());
  });
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary->estimate.mtd.RoundHalfUp(2).ToString(), expected);
}

INSTANTIATE_TEST_SUITE_P(Backends, HighPrecisionCloseTest,
                         testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) {
                           return info.param == TestBackend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace pc::billing
