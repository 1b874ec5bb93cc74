// Currencies (issue 17 item 3), on SQLite and PostgreSQL: the sandbox's usage of a GB customer
// (BRIT when GB is allowed) is in GBP at PCToBCExchangeRate; the import charges UnitPrice ×
// Quantity × PCToBCExchangeRate and the close bills it in GBP, to the cent of an independent
// computation from the sandbox's own line values.
#include <gtest/gtest.h>

#include <sstream>

#include "billing/charges.h"
#include "billing/month_close.h"
#include "billing/usage_import.h"
#include "sandbox/usage.h"
#include "store/migrated_database_test.h"

namespace pc::billing {
namespace {

using store::TestBackend;

class CurrencyTest : public store::MigratedDatabaseTest {};

TEST_P(CurrencyTest, GbpUsageOfBritIsBilledInGbpAtTheExchangeRateToTheCent) {
  const YearMonth march = YearMonth::Parse("2024-03").value();
  sandbox::UsageSubscription brit{"cust-gb", "Brit Ltd", "brit.onmicrosoft.com", "GB",
                                  "PLAN-GB", "sub-gb",   march.Start()};
  sandbox::UsageSubscription acme{"cust-us", "Acme",   "acme.onmicrosoft.com", "US",
                                  "PLAN-US", "sub-us", march.Start()};
  const std::vector<sandbox::UsageSubscription> subs{brit, acme};  // the lines point into it
  auto lines = sandbox::MonthUsage(7, subs, march, march.End());
  std::ostringstream csv;
  sandbox::WriteUsageCsvHeader(csv);
  // Independent computation: Decimal products of the sandbox's own values (each exact: prices
  // of 4 places, quantities of 6, the rate of 4), rounded once at the end.
  Decimal gbp, usd;
  size_t gbp_lines = 0;
  for (const auto& l : lines) {
    sandbox::WriteUsageCsvRow(csv, l);
    // A credit row (Azure credit, CreditPercentage 100) is the partner's, not charged.
    Decimal charge = l.charge_type == "credit"
                         ? Decimal()
                         : l.unit_price.Mul(l.quantity).value().Mul(l.exchange_rate).value();
    if (l.subscription->customer_country == "GB") {
      EXPECT_EQ(l.billing_currency, "GBP");
      EXPECT_EQ(l.exchange_rate, Decimal::Parse(sandbox::kUsdToGbpRate).value());
      gbp = gbp.Add(charge).value();
      ++gbp_lines;
    } else {
      EXPECT_EQ(l.billing_currency, "USD");
      usd = usd.Add(charge).value();
    }
  }
  ASSERT_GT(gbp_lines, 30u);
  ASSERT_TRUE(db_->InTransaction([](store::Transaction& tx) -> Status {
                   PC_RETURN_IF_ERROR(tx.Execute(
                       "INSERT INTO azure_subscriptions_map (azure_subscription_id, customer_id, "
                       "billing_alias) VALUES ('sub-gb', 'cust-gb', 'BRIT'), "
                       "('sub-us', 'cust-us', 'ACME')"));
                   return {};
                 })
                  .ok());
  std::string bytes = csv.str();
  ImportOptions options;
  options.file_name = "march.csv";
  auto report = ImportUsage(
      *db_, identity::SystemPrincipal(),
      [&bytes]() -> Result<std::unique_ptr<ByteSource>> { return MemorySource(bytes); }, options);
  ASSERT_TRUE(report.ok()) << report.error().message;
  ASSERT_EQ(report->rows_rejected, 0);
  ASSERT_EQ(report->rows_imported, static_cast<int64_t>(lines.size()));

  auto summary = db_->InTransaction<BillingSummary>(
      [&](store::Transaction& tx) { return SummarizeMonth(tx, "BRIT", march); });
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary->currency, "GBP");
  EXPECT_EQ(summary->estimate.mtd, gbp);
  // The rate is recorded with the usage and listed in detail.csv.
  auto rows = db_->InTransaction<std::vector<PricedRollup>>(
      [&](store::Transaction& tx) { return LoadPricedRollups(tx, "BRIT", march); });
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_FALSE(rows->empty());
  const std::string rate = Decimal::Parse(sandbox::kUsdToGbpRate).value().ToString();
  for (const auto& r : *rows) EXPECT_EQ(r.exchange_rates, rate) << r.day;
  auto detail = DetailCsv(*rows);
  ASSERT_TRUE(detail.ok()) << detail.error().message;
  EXPECT_NE(detail->find(",GBP," + rate + ","), std::string::npos) << detail->substr(0, 400);

  auto close = CloseMonth(*db_, identity::SystemPrincipal(), march, march.End(),
                          [](const InvoiceLine&) -> Status { return {}; });
  ASSERT_TRUE(close.ok()) << close.error().message;
  ASSERT_EQ(close->created.size(), 2u);
  for (const auto& line : close->created) {
    if (line.billing_alias == "BRIT") {
      EXPECT_EQ(line.currency, "GBP");
      EXPECT_EQ(line.key, "BRIT:2024-03:usage:GBP");
      EXPECT_EQ(line.amount, gbp.RoundHalfUp(2).Rescale(2).value().ToString());
    } else {
      EXPECT_EQ(line.currency, "USD");
      EXPECT_EQ(line.amount, usd.RoundHalfUp(2).Rescale(2).value().ToString());
    }
  }
}

// Mixed currencies for one alias in one month are never summed: the summary is refused with both
// currencies named, and the close records one line per currency and warns the operator.
TEST_P(CurrencyTest, MixedCurrenciesInOneAliasMonthAreAnErrorTheOperatorSees) {
  std::string csv =
      "CustomerId,EntitlementId,UsageDate,MeterCategory,UnitPrice,Quantity,BillingPreTaxTotal,"
      "BillingCurrency,PCToBCExchangeRate\n"
      "c,sub-m,2024-04-01,VM,1,10,10,USD,1\n"
      "c,sub-m,2024-04-02,VM,1,10,7.91,GBP,0.7913\n";
  ASSERT_TRUE(db_->InTransaction([](store::Transaction& tx) -> Status {
                   PC_RETURN_IF_ERROR(tx.Execute(
                       "INSERT INTO azure_subscriptions_map (azure_subscription_id, customer_id, "
                       "billing_alias) VALUES ('sub-m', 'c', 'MIXD')"));
                   return {};
                 })
                  .ok());
  ImportOptions options;
  ASSERT_TRUE(ImportUsage(
                  *db_, identity::SystemPrincipal(),
                  [&csv]() -> Result<std::unique_ptr<ByteSource>> { return MemorySource(csv); },
                  options)
                  .ok());
  const YearMonth april = YearMonth::Parse("2024-04").value();
  auto summary = db_->InTransaction<BillingSummary>(
      [&](store::Transaction& tx) { return SummarizeMonth(tx, "MIXD", april); });
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(summary.error().message.find("GBP"), std::string::npos);
  auto close = CloseMonth(*db_, identity::SystemPrincipal(), april, april.End(),
                          [](const InvoiceLine&) -> Status { return {}; });
  ASSERT_TRUE(close.ok()) << close.error().message;
  ASSERT_EQ(close->created.size(), 2u);
  EXPECT_EQ(close->created[0].amount, "7.91");  // GBP: 10 × 0.7913
  EXPECT_EQ(close->created[1].amount, "10.00");
  ASSERT_EQ(close->warnings.size(), 1u);
  EXPECT_NE(close->warnings[0].find("MIXD has usage in several currencies (GBP, USD)"),
            std::string::npos);
}

// Each alias bills in its CLC account's currency (billing_aliases.currency, recorded at Save):
// usage of BRIT (GBP) that arrives in USD is refused by the summary with both currencies named,
// and the close records it on a line of its own and warns the operator; never summed into GBP.
TEST_P(CurrencyTest, UsageInAnotherCurrencyThanTheAliasesIsAnErrorTheOperatorSees) {
  std::string csv =
      "CustomerId,EntitlementId,UsageDate,MeterCategory,UnitPrice,Quantity,BillingPreTaxTotal,"
      "BillingCurrency,PCToBCExchangeRate\n"
      "c,sub-b,2024-05-01,VM,1,10,7.91,GBP,0.7913\n"
      "c,sub-b,2024-05-02,VM,1,10,10,USD,1\n";
  ASSERT_TRUE(db_->InTransaction([](store::Transaction& tx) -> Status {
                   PC_RETURN_IF_ERROR(
                       tx.Execute("INSERT INTO organizations (id, name, kind, created_at) VALUES "
                                  "('org-b', 'Britannia', 'customer', '')"));
                   PC_RETURN_IF_ERROR(tx.Execute(
                       "INSERT INTO billing_aliases (alias, organization_id, company_name, "
                       "country, account_snapshot, created_at, updated_at, currency) VALUES "
                       "('BRIT', 'org-b', 'Britannia', 'GB', '{}', '', '', 'GBP')"));
                   PC_RETURN_IF_ERROR(tx.Execute(
                       "INSERT INTO azure_subscriptions_map (azure_subscription_id, customer_id, "
                       "billing_alias) VALUES ('sub-b', 'c', 'BRIT')"));
                   return {};
                 })
                  .ok());
  ImportOptions options;
  ASSERT_TRUE(ImportUsage(
                  *db_, identity::SystemPrincipal(),
                  [&csv]() -> Result<std::unique_ptr<ByteSource>> { return MemorySource(csv); },
                  options)
                  .ok());
  const YearMonth may = YearMonth::Parse("2024-05").value();
  auto summary = db_->InTransaction<BillingSummary>(
      [&](store::Transaction& tx) { return SummarizeMonth(tx, "BRIT", may); });
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(summary.error().message.find("BRIT bills in GBP (its CenturyLink Cloud account's "
                                         "currency) but has usage in USD in 2024-05"),
            std::string::npos)
      << summary.error().message;
  auto close = CloseMonth(*db_, identity::SystemPrincipal(), may, may.End(),
                          [](const InvoiceLine&) -> Status { return {}; });
  ASSERT_TRUE(close.ok()) << close.error().message;
  ASSERT_EQ(close->created.size(), 2u);
  EXPECT_EQ(close->created[0].currency, "GBP");
  EXPECT_EQ(close->created[0].amount, "7.91");
  EXPECT_EQ(close->created[1].currency, "USD");
  EXPECT_EQ(close->created[1].amount, "10.00");
  ASSERT_EQ(close->warnings.size(), 2u);  // the foreign currency, and the mix
  EXPECT_NE(close->warnings[0].find("BRIT bills in GBP"), std::string::npos);
  EXPECT_NE(close->warnings[0].find("has usage in USD"), std::string::npos);

  // Usage in the alias's own currency only: summarized, in GBP.
  const YearMonth june = YearMonth::Parse("2024-06").value();
  std::string gbp_only =
      "CustomerId,EntitlementId,UsageDate,MeterCategory,UnitPrice,Quantity,BillingPreTaxTotal,"
      "BillingCurrency,PCToBCExchangeRate\n"
      "c,sub-b,2024-06-01,VM,1,10,7.91,GBP,0.7913\n";
  ASSERT_TRUE(ImportUsage(
                  *db_, identity::SystemPrincipal(),
                  [&]() -> Result<std::unique_ptr<ByteSource>> { return MemorySource(gbp_only); },
                  options)
                  .ok());
  auto june_summary = db_->InTransaction<BillingSummary>(
      [&](store::Transaction& tx) { return SummarizeMonth(tx, "BRIT", june); });
  ASSERT_TRUE(june_summary.ok()) << june_summary.error().message;
  EXPECT_EQ(june_summary->currency, "GBP");
  EXPECT_EQ(june_summary->estimate.mtd.ToString(), "7.9130");  // 10 × 0.7913
}

INSTANTIATE_TEST_SUITE_P(Backends, CurrencyTest,
                         testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) {
                           return info.param == TestBackend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace pc::billing
