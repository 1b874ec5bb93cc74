#include "sandbox/usage.h"

#include <gtest/gtest.h>

#include <sstream>

namespace pc::sandbox {
namespace {

UsageSubscription Sub() {
  return {"c1", "Acme, \"Corp\"", "acme.onmicrosoft.com", "US", "PLAN", "sub-1", {}};
}

TEST(UsageTest, DeterministicAndTotalsAreFlooredExactly) {
  auto sub = Sub();
  Timestamp day = YearMonth::Of(2025, 3).value().Start();
  bool credit_seen = false;
  for (int d = 0; d < 60; ++d, day += std::chrono::hours(24)) {
    auto a = DailyUsage(5, sub, day), b = DailyUsage(5, sub, day);
    ASSERT_EQ(a.size(), b.size());
    ASSERT_GE(a.size(), 2u);
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].quantity, b[i].quantity);
      Decimal exact =
          a[i].effective_unit_price.Mul(a[i].quantity).value().Mul(a[i].exchange_rate).value();
      EXPECT_EQ(a[i].billing_pre_tax_total, exact.Floor(2));
      EXPECT_LE(a[i].billing_pre_tax_total, exact);
      if (a[i].effective_unit_price.IsNegative()) credit_seen = true;
    }
  }
  EXPECT_TRUE(credit_seen);
  EXPECT_NE(DailyUsage(6, sub, day)[0].quantity, DailyUsage(5, sub, day)[0].quantity);
}

TEST(UsageTest, CsvHasConstantColumnsAndQuotedTags) {
  std::ostringstream a, b;
  EXPECT_EQ(GenerateUsageCsv(a, 500, 3, 9), 500);
  GenerateUsageCsv(b, 500, 3, 9);
  EXPECT_EQ(a.str(), b.str());
  std::string text = a.str();
  EXPECT_NE(text.find(R"("{""cost-center"":""R&D, \""blue\"" team"",""env"":""dev""}")"),
            std::string::npos);
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_EQ(lines, 501u);
}

}  // namespace
}  // namespace pc::sandbox
