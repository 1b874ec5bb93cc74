// The FOCUS 1.2 export on SQLite and PostgreSQL: row by row the billed charge of detail.csv,
// summing to the month's rounded total (what month close bills) to the cent, valid for the
// validator of the tests, and readable only by the alias's organization and the partner's staff.
#include "billing/focus_export.h"

#include <gtest/gtest.h>

#include "billing/month_close.h"
#include "core/money.h"
#include "store/migrated_database_test.h"
#include "tests/focus_validator.h"

namespace pc::billing {
namespace {

using store::TestBackend;

class FocusExportTest : public store::MigratedDatabaseTest {
 protected:
  void Rollup(const std::string& customer, const std::string& sub, const std::string& category,
              const std::string& day, const std::string& charge, const std::string& quantity,
              const std::string& rates = "1", const std::string& currency = "USD") {
    auto st = db_->InTransaction([&](store::Transaction& tx) -> Status {
      PC_RETURN_IF_ERROR(tx.Execute(
          "INSERT INTO usage_rollups (billing_alias, customer_id, azure_subscription_id, "
          "meter_category, usage_day, currency, quantity, charge, partner_cost, line_count, "
          "updated_at, exchange_rates) VALUES ('ACME', ?, ?, ?, ?, ?, ?, ?, '0.01', 1, '', ?)",
          {customer, sub, category, day, currency, quantity, charge, rates}));
      return {};
    });
    ASSERT_TRUE(st.ok()) << st.error().message;
  }

  std::string Csv(const identity::Principal& who, YearMonth month) {
    auto csv = AliasFocusCsv(*db_, who, "ACME", month, FocusOptions{"Example Partner"});
    EXPECT_TRUE(csv.ok()) << csv.error().message;
    return csv.ok() ? *csv : "";
  }

  YearMonth march_ = YearMonth::Parse("2024-03").value();
};

TEST_P(FocusExportTest, BilledCostIsDetailCsvsBilledChargeAndSumsToTheRoundedTotal) {
  // Thirds of a cent everywhere: rounding each row half-up would lose cents.
  for (int d = 1; d <= 9; ++d) {
    std::string day = "2024-03-0" + std::to_string(d);
    Rollup("c1", "sub-a", "Virtual Machines", day, "0.3333333", "24");
    Rollup("c1", "sub-a", "Storage", day, "1.0066666", "500.25", d % 2 ? "1" : "0.79");
    Rollup("c2", "sub-a", "Storage", day, "0.0011111", "1");  // same row: another customer
    Rollup("c3", "sub-b", "=HYPERLINK(\"x\")", day, "-0.0044444", "-1");  // a credit
  }
  std::string csv = Csv(identity::SystemPrincipal(), march_);
  auto problems = test::ValidateFocus(csv, json::value(FocusMetadata("ACME", march_, {})));
  for (const auto& p : problems) ADD_FAILURE() << p;

  std::vector<std::string> parse;
  test::CsvTable focus = test::ParseRfc4180(csv, parse);
  ASSERT_EQ(focus.rows.size(), 27u);  // 9 days × (sub-a VM, sub-a Storage, sub-b)
  auto rows = db_->InTransaction<std::vector<PricedRollup>>(
                     [&](store::Transaction& tx) { return LoadPricedRollups(tx, "ACME", march_); })
                  .value();
  test::CsvTable detail = test::ParseRfc4180(DetailCsv(rows).value(), parse);
  std::map<std::string, std::string> billed;
  for (const auto& r : detail.rows) billed[r[0] + "|" + r[1] + "|" + r[2]] = r[7];
  Decimal sum, exact;
  for (size_t r = 0; r < focus.rows.size(); ++r) {
    std::string key = focus.Column("x_SubscriptionId")[r] + "|" + focus.Column("ServiceName")[r] +
                      "|" + focus.Column("ChargePeriodStart")[r].substr(0, 10);
    EXPECT_EQ(focus.Column("BilledCost")[r], billed[key]) << key;
    sum = sum.Add(Decimal::Parse(focus.Column("BilledCost")[r]).value()).value();
    exact = exact.Add(Decimal::Parse(focus.Column("x_BilledCostExact")[r]).value()).value();
  }
  // What month close bills: the exact total rounded once, half-up.
  EXPECT_EQ(sum, Money(exact, Currency{"USD", 2}).RoundToMinorUnit().amount());
  EXPECT_EQ(sum.ToString(), "12.03");  // 9 × 1.3366666 = 12.0299994

  // Spot checks of one row: the day's period, the partner, the service and the rates.
  EXPECT_EQ(focus.rows.front()[focus.Index("ChargePeriodStart")], "2024-03-01T00:00:00Z");
  EXPECT_EQ(focus.rows.front()[focus.Index("ChargePeriodEnd")], "2024-03-02T00:00:00Z");
  EXPECT_EQ(focus.rows.front()[focus.Index("BillingPeriodEnd")], "2024-04-01T00:00:00Z");
  EXPECT_EQ(focus.rows.front()[focus.Index("InvoiceIssuerName")], "Example Partner");
  std::map<std::string, std::string> service;
  for (size_t r = 0; r < focus.rows.size(); ++r) {
    service[focus.Column("ServiceName")[r]] = focus.Column("ServiceCategory")[r];
    if (focus.Column("ServiceName")[r] == "Storage" &&
        focus.Column("ChargePeriodStart")[r].starts_with("2024-03-02")) {
      EXPECT_EQ(focus.Column("x_BillingExchangeRate")[r], "0.79 1");
      EXPECT_EQ(focus.Column("PricingQuantity")[r], "501.25");
      EXPECT_EQ(focus.Column("SubAccountId")[r], "/subscriptions/sub-a");
    }
  }
  EXPECT_EQ(service["Virtual Machines"], "Compute");
  EXPECT_EQ(service["Storage"], "Storage");
  // Text from usage files is neutralised against spreadsheet formulas, as in detail.csv.
  EXPECT_EQ(service["'=HYPERLINK(\"x\")"], "Other");
  // The partner's own cost (partner_cost) is not the customer's business: no column has it.
  for (const auto& name : focus.header) EXPECT_EQ(name.find("Partner"), std::string::npos);
}

TEST_P(FocusExportTest, AMonthWithoutUsageIsTheHeaderAlone) {
  std::string csv = Csv(identity::SystemPrincipal(), march_);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1);
  EXPECT_TRUE(csv.starts_with("BilledCost,BillingAccountId,"));
  EXPECT_TRUE(test::ValidateFocus(csv, json::value(FocusMetadata("ACME", march_, {}))).empty());
}

TEST_P(FocusExportTest, OnlyTheAliasOwnerAndThePartnersStaffReadIt) {
  Rollup("c1", "sub-a", "Storage", "2024-03-01", "1", "1");
  identity::Principal stranger;
  stranger.user.role = identity::Role::kOrgAdmin;
  stranger.organization.id = "another-organization";
  auto csv = AliasFocusCsv(*db_, stranger, "ACME", march_, {});
  ASSERT_FALSE(csv.ok());
  EXPECT_EQ(csv.error().code, ErrorCode::kNotFound);
  auto meta = AliasFocusMetadata(*db_, stranger, "ACME", march_, {});
  ASSERT_FALSE(meta.ok());
  EXPECT_EQ(meta.error().code, ErrorCode::kNotFound);
  identity::Principal operator_ = stranger;
  operator_.user.role = identity::Role::kOperator;
  EXPECT_TRUE(AliasFocusCsv(*db_, operator_, "ACME", march_, {}).ok());
}

// The validator finds what a FOCUS tool would choke on (so the checks above can fail).
TEST_P(FocusExportTest, TheValidatorRejectsWhatBreaksTheRules) {
  Rollup("c1", "sub-a", "Storage", "2024-03-01", "1.5", "2");
  const std::string good = Csv(identity::SystemPrincipal(), march_);
  json::value meta(FocusMetadata("ACME", march_, {}));
  ASSERT_TRUE(test::ValidateFocus(good, meta).empty());
  auto fails = [&](std::string csv, const std::string& expected) {
    auto problems = test::ValidateFocus(csv, meta);
    std::string all;
    for (const auto& p : problems) all += p + "\n";
    EXPECT_NE(all.find(expected), std::string::npos) << "expected '" << expected << "' in:\n"
                                                     << all;
  };
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string csv = good;
    size_t at = csv.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? csv : csv.replace(at, from.size(), to);
  };
  fails(replaced("2024-03-01T00:00:00Z", "2024-03-01 00:00:00"), "not a UTC");
  fails(replaced("Example Partner", "NULL"), "instead of an empty (null) cell");
  fails(replaced("\r\n1.50,", "\r\n\"1,50\","), "not a FOCUS decimal");
  fails(replaced(",Usage,", ",Usage Charge,"), "ChargeCategory");
  fails(replaced(",Microsoft,", ",,"), "ProviderName is null");
  fails(replaced("x_SubscriptionId", "SubscriptionGuid"), "neither a FOCUS 1.2 column");
  fails(replaced("\r\n", "\n"), "not CRLF");
  fails(replaced("BilledCost,", "Cost,"), "Mandatory column BilledCost is missing");
}

TEST(FocusServiceCategoryTest, AzureMeterCategoriesMapToFocusValues) {
  EXPECT_EQ(ServiceCategoryOf("Virtual Machines"), "Compute");
  EXPECT_EQ(ServiceCategoryOf("virtual network"), "Networking");
  EXPECT_EQ(ServiceCategoryOf("Log Analytics"), "Management and Governance");
  EXPECT_EQ(ServiceCategoryOf("SQL Database"), "Databases");
  EXPECT_EQ(ServiceCategoryOf("Something New"), "Other");
}

INSTANTIATE_TEST_SUITE_P(Backends, FocusExportTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return store::TestBackendName(info.param); });

}  // namespace
}  // namespace pc::billing
