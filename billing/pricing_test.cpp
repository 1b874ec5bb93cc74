// Pricing rules: validation, the rule in effect on a day, exact application.
#include "billing/pricing.h"

#include <gtest/gtest.h>

namespace pc::billing {
namespace {

PricingRule Rule(std::optional<std::string> alias, std::optional<std::string> category,
                 const char* percent, std::string from, std::optional<std::string> to,
                 std::string created = "2026-01-01T00:00:00.000000Z") {
  PricingRule r;
  r.id = created;
  r.billing_alias = std::move(alias);
  r.meter_category = std::move(category);
  r.percent = Decimal::Parse(percent).value();
  r.effective_from = std::move(from);
  r.effective_to = std::move(to);
  r.created_at = std::move(created);
  return r;
}

TEST(PricingTest, MostSpecificRuleInEffectWins) {
  std::vector<PricingRule> rules = {
      Rule(std::nullopt, "Storage", "5", "2026-01-01", std::nullopt),
      Rule("ACME", std::nullopt, "10", "2026-01-01", std::nullopt),
      Rule("ACME", "Storage", "-20", "2026-03-01", "2026-03-31"),
  };
  auto percent = [&](const char* alias, const char* category, const char* day) {
    const PricingRule* r = RuleInEffect(rules, alias, category, day);
    return r ? r->percent.ToString() : "none";
  };
  EXPECT_EQ(percent("ACME", "Storage", "2026-03-15"), "-20");  // alias + category
  EXPECT_EQ(percent("ACME", "Storage", "2026-04-01"), "10");   // alias (the first has ended)
  EXPECT_EQ(percent("ACME", "Compute", "2026-03-15"), "10");   // alias
  EXPECT_EQ(percent("BETA", "Storage", "2026-03-15"), "5");    // category
  EXPECT_EQ(percent("BETA", "Compute", "2026-03-15"), "none");
  EXPECT_EQ(percent("ACME", "Compute", "2025-12-31"), "none");  // before any rule
  // A later rule of the same specificity supersedes.
  rules.push_back(Rule("ACME", std::nullopt, "12.5", "2026-02-01", std::nullopt));
  EXPECT_EQ(percent("ACME", "Compute", "2026-03-15"), "12.5");
  EXPECT_EQ(percent("ACME", "Compute", "2026-01-15"), "10");
}

TEST(PricingTest, AppliesExactly) {
  auto markup = Rule("ACME", std::nullopt, "12.5", "2026-01-01", std::nullopt);
  auto discount = Rule("ACME", std::nullopt, "-3.3333", "2026-01-01", std::nullopt);
  Decimal charge = Decimal::Parse("10.00000001").value();
  EXPECT_EQ(ApplyRule(charge, &markup)->ToString(), "11.25000001125");
  // 10.00000001 × 0.966667 = 9.66667000966667
  EXPECT_EQ(*ApplyRule(charge, &discount), Decimal::Parse("9.6666700096666700").value());
  EXPECT_EQ(*ApplyRule(charge, nullptr), charge);
}

TEST(PricingTest, ValidatesTheBody) {
  auto parse = [](const char* text) { return PricingRuleFromJson(ParseJsonObject(text).value()); };
  auto ok = parse(R"({"billingAlias":"acme","percent":"7.5","effectiveFrom":"2026-12-01"})");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(*ok->billing_alias, "ACME");
  EXPECT_FALSE(parse(R"({"percent":"7.5","effectiveFrom":"2026-12-01"})").ok());
  auto number = parse(R"({"billingAlias":"AB","percent":7.5,"effectiveFrom":"2026-12-01"})");
  ASSERT_FALSE(number.ok());
  EXPECT_NE(number.error().message.find("decimal string"), std::string::npos);
  EXPECT_FALSE(parse(R"({"billingAlias":"AB","percent":"1e3","effectiveFrom":"2026-12-01"})").ok());
  EXPECT_FALSE(
      parse(R"({"billingAlias":"AB","percent":"-101","effectiveFrom":"2026-12-01"})").ok());
  EXPECT_FALSE(
      parse(R"({"billingAlias":"AB","percent":"1.00001","effectiveFrom":"2026-12-01"})").ok());
  EXPECT_FALSE(parse(R"({"billingAlias":"AB","percent":"1","effectiveFrom":"2026-02-30"})").ok());
  EXPECT_FALSE(parse(R"({"billingAlias":"AB","percent":"1","effectiveFrom":"2026-03-02",
                         "effectiveTo":"2026-03-01"})")
                   .ok());
}

}  // namespace
}  // namespace pc::billing
