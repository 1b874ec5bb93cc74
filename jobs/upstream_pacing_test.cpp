// Upstream pacing per budget: which budget each Microsoft call spends, and one bucket per budget
// in the database (so one subscription's writes never wait for another's).
#include "jobs/upstream_pacing.h"

#include <gtest/gtest.h>

#include "store/migrated_database_test.h"

namespace pc::jobs {
namespace {

TEST(UpstreamPacingTest, ArmWritesCountPerSubscriptionAndOutsideAgainstTheTenant) {
  EXPECT_EQ(ArmBudgetOf("PUT",
                        "http://127.0.0.1:9/arm/subscriptions/AB12-cd/providers/"
                        "Microsoft.Authorization/roleAssignments/x?api-version=2022-04-01"),
            "arm:writes:ab12-cd");
  EXPECT_EQ(ArmBudgetOf("POST",
                        "https://management.azure.com/subscriptions/s-1/providers/"
                        "Microsoft.Compute/register"),
            "arm:writes:s-1");
  EXPECT_EQ(ArmBudgetOf("DELETE", "https://management.azure.com/subscriptions/s-1"),
            "arm:writes:s-1");
  EXPECT_EQ(ArmBudgetOf("PUT",
                        "https://management.azure.com/providers/Microsoft.Subscription/"
                        "aliases/a1?api-version=2021-10-01"),
            "arm:writes:tenant");
  EXPECT_EQ(ArmBudgetOf("GET", "https://management.azure.com/subscriptions/s-2/providers/x"),
            "arm:reads:s-2");
  EXPECT_EQ(ArmBudgetOf("GET",
                        "https://management.azure.com/providers/Microsoft.Subscription/"
                        "aliases/a1"),
            "arm:reads:tenant");
  // Each customer's tenant has its own budget outside its subscriptions.
  EXPECT_EQ(ArmBudgetOf("GET",
                        "https://management.azure.com/providers/Microsoft.Subscription/"
                        "aliases/a1",
                        "TENANT-A"),
            "arm:reads:tenant:tenant-a");
  EXPECT_EQ(ArmBudgetOf("PUT", "https://management.azure.com/subscriptions/s-3/x", "tenant-a"),
            "arm:writes:s-3");
  EXPECT_TRUE(IsArmWrite("PATCH"));
  EXPECT_FALSE(IsArmWrite("HEAD"));
}

TEST(UpstreamPacingTest, PartnerCenterLimitsCustomersOrdersAndSubscriptions) {
  EXPECT_TRUE(IsPartnerCenterLimited("https://api.partnercenter.microsoft.com/v1/customers"));
  EXPECT_TRUE(IsPartnerCenterLimited("http://127.0.0.1:9/partnercenter/v1/customers/c/orders"));
  EXPECT_TRUE(IsPartnerCenterLimited(
      "http://127.0.0.1:9/partnercenter/v1/Customers/c/subscriptions/s?x=1"));
  EXPECT_FALSE(IsPartnerCenterLimited("http://127.0.0.1:9/partnercenter/v1/agreements"));
  EXPECT_FALSE(
      IsPartnerCenterLimited("http://127.0.0.1:9/partnercenter/v1/invoices?c=/v1/customers"));
}

class KeyedPacerTest : public store::MigratedDatabaseTest {};

TEST_P(KeyedPacerTest, EachBudgetHasItsOwnBucketInTheDatabase) {
  KeyedPacer pace(db_.get(), 20, 1200);  // ARM's 1,200 writes an hour, the hour's worth
  pace.Acquire("arm:writes:s-1");
  pace.Acquire("arm:writes:s-1");
  pace.Acquire("arm:writes:s-2");
  auto rows = db_->InTransaction<store::Rows>([](store::Transaction& tx) {
    return tx.Query("SELECT name, tokens FROM upstream_rate_buckets ORDER BY name");
  });
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].Text(0), "arm:writes:s-1");
  EXPECT_EQ((*rows)[1].Text(0), "arm:writes:s-2");
  // The bucket started full (1,200) and gave 2 and 1 (refill in between is a fraction of one).
  EXPECT_LT((*rows)[0].Int(1), (*rows)[1].Int(1));
  EXPECT_LE((*rows)[1].Int(1), int64_t{1199} * 1000000 + 1000000 / 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, KeyedPacerTest,
                         testing::Values(store::TestBackend::kSqlite,
                                         store::TestBackend::kPostgres),
                         [](const auto& info) {
                           return info.param == store::TestBackend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace pc::jobs
