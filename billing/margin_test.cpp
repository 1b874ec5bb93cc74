// Partner margin per alias and month (issue 17 item 7), on SQLite and PostgreSQL.
#include "billing/margin.h"

#include <gtest/gtest.h>

#include "billing/usage_import.h"
#include "store/migrated_database_test.h"

namespace pc::billing {
namespace {

using store::TestBackend;

class MarginTest : public store::MigratedDatabaseTest {};

TEST_P(MarginTest, PartnerCostBesideCustomerPriceAndTheMarginAddUp) {
  ASSERT_TRUE(db_->InTransaction([](store::Transaction& tx) -> Status {
                   PC_RETURN_IF_ERROR(tx.Execute(
                       "INSERT INTO azure_subscriptions_map (azure_subscription_id, customer_id, "
                       "billing_alias) VALUES ('sub-a', 'c1', 'ACME'), ('sub-b', 'c2', 'BETA')"));
                   PC_RETURN_IF_ERROR(tx.Execute(
                       "INSERT INTO pricing_rules (id, billing_alias, meter_category, percent, "
                       "effective_from, effective_to, note, created_at, created_by) VALUES "
                       "('r1', 'ACME', NULL, '10', '2024-01-01', NULL, '', '', 'test')"));
                   return {};
                 })
                  .ok());
  // List 0.125 × 8 = 1 per line; Microsoft bills the partner 0.85 (partner-earned credit).
  std::string csv =
      "CustomerId,EntitlementId,UsageDate,MeterCategory,ResourceURI,UnitPrice,Quantity,"
      "BillingPreTaxTotal,BillingCurrency,PartnerEarnedCreditPercentage,ChargeType\n";
  for (int i = 0; i < 7; ++i) {
    csv += std::string(i < 4 ? "c1,sub-a" : "c2,sub-b") + ",2024-04-0" + std::to_string(1 + i) +
           ",Storage,/r/" + std::to_string(i) + ",0.125,8,0.85,USD,15,Usage\n";
  }
  ImportOptions options;
  auto report = ImportUsage(
      *db_, identity::SystemPrincipal(),
      [&csv]() -> Result<std::unique_ptr<ByteSource>> { return MemorySource(csv); }, options);
  ASSERT_TRUE(report.ok()) << report.error().message;
  ASSERT_EQ(report->rows_imported, 7);

  identity::Principal customer;
  EXPECT_EQ(MonthMargins(*db_, customer, YearMonth::Parse("2024-04").value()).error().code,
            ErrorCode::kPermissionDenied);
  auto lines = MonthMargins(*db_, identity::SystemPrincipal(), YearMonth::Parse("2024-04").value());
  ASSERT_TRUE(lines.ok()) << lines.error().message;
  ASSERT_EQ(lines->size(), 2u);
  auto acme = ToJson(lines->at(0));
  EXPECT_EQ(acme.at("billingAlias").as_string(), "ACME");
  EXPECT_EQ(acme.at("partnerCost").as_string(), "3.40");    // 4 × 0.85
  EXPECT_EQ(acme.at("customerPrice").as_string(), "4.40");  // 4 × 1 × 1.10
  EXPECT_EQ(acme.at("margin").as_string(), "1.00");
  auto beta = ToJson(lines->at(1));
  EXPECT_EQ(beta.at("partnerCost").as_string(), "2.55");  // 3 × 0.85
  EXPECT_EQ(beta.at("customerPrice").as_string(), "3.00");
  EXPECT_EQ(beta.at("margin").as_string(), "0.45");
  std::string csv_out = MarginCsv(*lines);
  EXPECT_EQ(csv_out.substr(0, csv_out.find("\r\n")),
            "BillingAlias,Month,Currency,PartnerCost,CustomerPrice,Margin,PartnerCostExact,"
            "CustomerPriceExact");
  EXPECT_NE(csv_out.find("\r\nACME,2024-04,USD,3.40,4.40,1.00,3.40,4.4"), std::string::npos)
      << csv_out;
  EXPECT_NE(csv_out.find("\r\nBETA,2024-04,USD,2.55,3.00,0.45,2.55,3.0"), std::string::npos)
      << csv_out;
  EXPECT_TRUE(MonthMargins(*db_, identity::SystemPrincipal(), YearMonth::Parse("2024-05").value())
                  ->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, MarginTest,
                         testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) {
                           return info.param == TestBackend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace pc::billing
