// Usage kept aside is not lost (issue 17 item 2), on SQLite and PostgreSQL: usage imported before
// its subscription is known is billed exactly once after onboarding (or an operator's mapping),
// in the open month or as the reconciliation line of a closed month.
#include "billing/kept_aside.h"

#include <gtest/gtest.h>

#include "billing/charges.h"
#include "billing/listings.h"
#include "billing/month_close.h"
#include "store/scratch_database.h"

namespace pc::billing {
namespace {

using store::TestBackend;

std::string Rows(const std::string& sub, const std::string& month, int lines, int first = 0) {
  std::string out;
  for (int i = first; i < first + lines; ++i) {
    out += "cust-7," + sub + "," + month + "-" + (i % 9 < 9 ? "0" : "") +
           std::to_string(1 + i % 9) + ",Storage,/r/" + std::to_string(i) + ",0.125," +
           std::to_string(2 + i % 5) + ".5,1,USD,Usage\n";
  }
  return out;
}
std::string Csv(const std::string& sub, const std::string& month, int lines, int first = 0) {
  return "CustomerId,EntitlementId,UsageDate,MeterCategory,ResourceURI,UnitPrice,Quantity,"
         "BillingPreTaxTotal,BillingCurrency,ChargeType\n" +
         Rows(sub, month, lines, first);
}
// The charge of those lines: 0.125 × (2.5 .. 6.5), in 10^-4.
int64_t Milli(int lines, int first = 0) {
  int64_t sum = 0;
  for (int i = first; i < first + lines; ++i) sum += 125 * (25 + 10 * (i % 5));
  return sum;
}

class KeptAsideTest : public testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    auto created = scratch_.Create(GetParam());
    ASSERT_TRUE(created.ok()) << created.error().message;
    auto db = store::Database::Open(scratch_.url());
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->Migrate().ok());
    Exec(
        "INSERT INTO organizations (id, name, kind, created_at) VALUES ('org-n', 'Newco', "
        "'customer', '')");
    Exec(
        "INSERT INTO billing_aliases (alias, organization_id, company_name, country, "
        "account_snapshot, created_at, updated_at) VALUES ('NEWC', 'org-n', 'Newco', 'US', "
        "'{}', '', '')");
  }
  void TearDown() override { db_.reset(); }

  void Exec(const std::string& sql) {
    auto st = db_->InTransaction([&](store::Transaction& tx) -> Status {
      PC_RETURN_IF_ERROR(tx.Execute(sql));
      return {};
    });
    ASSERT_TRUE(st.ok()) << st.error().message;
  }
  ImportReport Import(const std::string& bytes, const std::string& name) {
    ImportOptions options;
    options.file_name = name;
    auto r = ImportUsage(
        *db_, identity::SystemPrincipal(),
        [&bytes]() -> Result<std::unique_ptr<ByteSource>> { return MemorySource(bytes); }, options);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : ImportReport{};
  }
  // NEWC's exact month-to-date, or "none".
  std::string Mtd(const char* month) {
    auto s = db_->InTransaction<BillingSummary>([&](store::Transaction& tx) {
      return SummarizeMonth(tx, "NEWC", YearMonth::Parse(month).value());
    });
    return s.ok() ? s->estimate.mtd.ToString() : "none";
  }
  std::vector<KeptAside> Kept() {
    auto k = ListKeptAsideUsage(*db_, identity::SystemPrincipal());
    EXPECT_TRUE(k.ok());
    return k.ok() ? *k : std::vector<KeptAside>{};
  }
  Result<CloseReport> Close(const char* month, const char* now) {
    return CloseMonth(*db_, identity::SystemPrincipal(), YearMonth::Parse(month).value(),
                      ParseTimestamp(now).value(), [](const InvoiceLine&) -> Status { return {}; });
  }

  store::ScratchDatabase scratch_;
  std::unique_ptr<store::Database> db_;
};

Decimal TenThousandths(int64_t v) { return Decimal::FromParts(v, 4).value(); }

TEST_P(KeptAsideTest, UsageImportedBeforeOnboardingIsBilledOnceAfterIt) {
  auto before = Import(Csv("sub-new", "2024-05", 40), "early.csv");
  EXPECT_EQ(before.rows_unknown, 40);
  ASSERT_EQ(Kept().size(), 1u);
  EXPECT_EQ(Kept()[0].amount, TenThousandths(Milli(40)));
  EXPECT_EQ(Mtd("2024-05"), "none");

  // Onboarding records the subscription (onboarding_store does this insert).
  Exec(
      "INSERT INTO azure_subscriptions_map (azure_subscription_id, customer_id, billing_alias, "
      "organization_id, created_at) VALUES ('sub-new', 'cust-7', 'NEWC', 'org-n', '')");
  // The next import (here of later lines; the scheduled pull does this) attributes it.
  auto later = Import(Csv("sub-new", "2024-05", 10, 40), "later.csv");
  EXPECT_EQ(later.rows_imported, 10);
  EXPECT_TRUE(Kept().empty());
  EXPECT_EQ(Decimal::Parse(Mtd("2024-05")).value(), TenThousandths(Milli(50)));
  // Again: nothing moves twice (the early file's lines are not counted again either).
  Import(Csv("sub-new", "2024-05", 20, 20) + Rows("sub-new", "2024-05", 20), "early-again.csv");
  auto mapped = MapSubscription(*db_, identity::SystemPrincipal(), {"sub-new", "NEWC", "cust-7"});
  ASSERT_TRUE(mapped.ok()) << mapped.error().message;
  EXPECT_TRUE(mapped->empty());
  EXPECT_EQ(Decimal::Parse(Mtd("2024-05")).value(), TenThousandths(Milli(50)));

  // The close bills exactly that.
  auto close = Close("2024-05", "2024-06-01T00:00:00Z");
  ASSERT_TRUE(close.ok()) << close.error().message;
  ASSERT_EQ(close->created.size(), 1u);
  EXPECT_EQ(Decimal::Parse(close->created[0].amount).value(),
            TenThousandths(Milli(50)).RoundHalfUp(2));
}

TEST_P(KeptAsideTest, KeptAsideUsageOfAClosedMonthBecomesOneReconciliationLine) {
  Import(Csv("sub-late", "2024-05", 30), "may.csv");
  auto may = Close("2024-05", "2024-06-01T00:00:00Z");
  ASSERT_TRUE(may.ok()) << may.error().message;
  EXPECT_TRUE(may->created.empty());  // nothing billed: nobody knew sub-late

  // An operator maps it by hand; the answer says what it attributed.
  identity::Principal nobody;
  EXPECT_EQ(MapSubscription(*db_, nobody, {"sub-late", "NEWC", ""}).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(
      MapSubscription(*db_, identity::SystemPrincipal(), {"sub-late", "NOPE", ""}).error().code,
      ErrorCode::kNotFound);
  auto mapped = MapSubscription(*db_, identity::SystemPrincipal(), {"sub-late", "NEWC", ""});
  ASSERT_TRUE(mapped.ok()) << mapped.error().message;
  ASSERT_EQ(mapped->size(), 1u);
  EXPECT_EQ(mapped->at(0).month, "2024-05");
  EXPECT_EQ(mapped->at(0).lines, 30);
  EXPECT_EQ(mapped->at(0).charge, TenThousandths(Milli(30)));
  EXPECT_TRUE(Kept().empty());
  // Another alias cannot take it now.
  Exec(
      "INSERT INTO billing_aliases (alias, organization_id, company_name, country, "
      "account_snapshot, created_at, updated_at) VALUES ('OTHR', 'org-n', 'Other', 'US', "
      "'{}', '', '')");
  EXPECT_EQ(
      MapSubscription(*db_, identity::SystemPrincipal(), {"sub-late", "OTHR", ""}).error().code,
      ErrorCode::kConflict);

  auto june = Close("2024-06", "2024-07-01T00:00:00Z");
  ASSERT_TRUE(june.ok()) << june.error().message;
  ASSERT_EQ(june->created.size(), 1u);
  EXPECT_EQ(june->created[0].kind, "update");
  EXPECT_EQ(june->created[0].usage_month, "2024-05");
  EXPECT_EQ(Decimal::Parse(june->created[0].amount).value(),
            TenThousandths(Milli(30)).RoundHalfUp(2));
  auto july = Close("2024-07", "2024-08-01T00:00:00Z");
  ASSERT_TRUE(july.ok());
  EXPECT_TRUE(july->created.empty());  // billed once
}

TEST(SubscriptionMappingTest, BadBodiesAreRefusedWithTheField) {
  auto parse = [](const char* text) {
    return SubscriptionMappingFromJson(json::parse(text).as_object());
  };
  EXPECT_EQ(parse(R"({"billingAlias":"ACME"})").error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(parse(R"({"azureSubscriptionId":"a b","billingAlias":"ACME"})")
                .error()
                .message.find("azureSubscriptionId"),
            std::string::npos);
  EXPECT_NE(parse(R"({"azureSubscriptionId":"S-1","billingAlias":"A"})")
                .error()
                .message.find("billingAlias"),
            std::string::npos);
  auto ok = parse(R"({"azureSubscriptionId":"S-1","billingAlias":"acme"})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->azure_subscription_id, "s-1");
  EXPECT_EQ(ok->billing_alias, "ACME");
}

INSTANTIATE_TEST_SUITE_P(Backends, KeptAsideTest,
                         testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) {
                           return info.param == TestBackend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace pc::billing
