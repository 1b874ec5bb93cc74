#include "onboarding/eligibility.h"

#include <gtest/gtest.h>

namespace pc::onboarding {
namespace {

connectors::ClcAccount Account(std::string alias, std::string parent, std::string type,
                               std::string country = "US", std::string status = "Active") {
  connectors::ClcAccount a;
  a.alias = std::move(alias);
  a.parent_alias = std::move(parent);
  a.account_type = std::move(type);
  a.country = std::move(country);
  a.status = std::move(status);
  a.business_name = a.alias + " Inc";
  return a;
}

TEST(EligibilityTest, CustomerAccountsAreBillableInTheTerritory) {
  auto out =
      EvaluateAliases({Account("ACME", "T3N", "Customer"), Account("ACMD", "ACME", "Customer"),
                       Account("ACMT", "ACME", "Customer")},
                      {});
  ASSERT_EQ(out.size(), 3u);
  for (const auto& c : out) {
    EXPECT_TRUE(c.billable) << c.alias;
    EXPECT_EQ(c.reason, "");
  }
}

TEST(EligibilityTest, ResellersTheirSubAccountsAndDemosAreNotBillable) {
  auto out = EvaluateAliases(
      {Account("RSLR", "T3N", "Reseller"), Account("RSC1", "RSLR", "Customer")}, {});
  EXPECT_FALSE(out[0].billable);
  EXPECT_EQ(out[0].reason, "reseller");
  EXPECT_EQ(out[0].message, kNotBillableMessage);
  EXPECT_FALSE(out[1].billable);
  EXPECT_EQ(out[1].reason, "sub_account_of_not_billable");
  auto demo = EvaluateAliases({Account("DEMO", "T3N", "", "US", "Demo")}, {});
  EXPECT_EQ(demo[0].reason, "demo");
  auto internal = EvaluateAliases({Account("INT1", "T3N", "Internal")}, {});
  EXPECT_EQ(internal[0].reason, "internal");
}

TEST(EligibilityTest, TerritoryFollowsThePolicy) {
  auto brit = Account("BRIT", "T3N", "Customer", "GB");
  auto out = EvaluateAliases({brit}, {});
  EXPECT_FALSE(out[0].billable);
  EXPECT_EQ(out[0].reason, "outside_territory");
  EXPECT_EQ(out[0].message, kTerritoryMessage);
  EXPECT_TRUE(EvaluateAliases({brit}, {{"US", "GB", "CA"}})[0].billable);
  EXPECT_TRUE(EvaluateAliases({Account("USA1", "", "Customer", "USA")}, {})[0].billable);
}

TEST(EligibilityTest, AnAliasBillsInItsAccountCountrysCurrency) {
  EXPECT_EQ(BillingCurrencyOf("GB"), "GBP");
  EXPECT_EQ(BillingCurrencyOf("UK"), "GBP");
  EXPECT_EQ(BillingCurrencyOf("USA"), "USD");
  EXPECT_EQ(BillingCurrencyOf("DE"), "EUR");
  EXPECT_EQ(BillingCurrencyOf("CAN"), "CAD");
  EXPECT_EQ(BillingCurrencyOf(""), "USD");
}

TEST(EligibilityTest, AccountAdminRole) {
  EXPECT_TRUE(IsAccountAdmin({"AccountViewer", "AccountAdmin"}));
  EXPECT_FALSE(IsAccountAdmin({"BillingAdmin"}));
  EXPECT_FALSE(IsAccountAdmin({}));
}

}  // namespace
}  // namespace pc::onboarding
