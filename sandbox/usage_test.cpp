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

namespace pc::sandbox {
namespace {

// Usage from the first minute: windows start at the subscription's creation (15 s), double up
// to 6 hours, never cross a 6-hour slot (so never midnight), follow each other without gaps, and
// what was rated by one time is exactly the start of what is rated by any later time.
TEST(UsageTest, RatingWindowsStartAtCreationAndNeverChange) {
  Timestamp created = ParseTimestamp("2026-01-05T13:47:10Z").value();
  Timestamp later = created + std::chrono::hours(72);
  auto all = RatingWindows(created, created, later);
  ASSERT_GT(all.size(), 12u);
  EXPECT_EQ(all[0].start, created);
  EXPECT_EQ(all[0].end - all[0].start, std::chrono::seconds(15));
  EXPECT_EQ(all[1].end - all[1].start, std::chrono::seconds(30));
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_LE(all[i].end - all[i].start, std::chrono::hours(6));
    EXPECT_EQ(ToUnixSeconds(all[i].start) / 21600, (ToUnixSeconds(all[i].end) - 1) / 21600);
    if (i > 0) {
      EXPECT_EQ(all[i].start, all[i - 1].end);
    }
  }
  EXPECT_EQ(all.back().end - all.back().start, std::chrono::hours(6));
  auto early = RatingWindows(created, created, created + std::chrono::minutes(5));
  ASSERT_FALSE(early.empty());
  for (size_t i = 0; i < early.size(); ++i) {
    EXPECT_EQ(early[i].start, all[i].start);
    EXPECT_EQ(early[i].end, all[i].end);
  }
  // From a later day: exactly the windows of the full list that end after it.
  Timestamp from = ParseTimestamp("2026-01-07T00:00:00Z").value();
  auto tail = RatingWindows(created, from, later);
  std::vector<RatingWindow> expected;
  for (const auto& w : all) {
    if (w.end > from) expected.push_back(w);
  }
  ASSERT_EQ(tail.size(), expected.size());
  for (size_t i = 0; i < tail.size(); ++i) EXPECT_EQ(tail[i].start, expected[i].start);
  // A window's lines are the same whenever they are asked for.
  UsageSubscription sub;
  sub.azure_subscription_id = "00000000-0000-4000-8000-000000000001";
  sub.created = created;
  auto a = WindowUsage(3, sub, all[2]), b = WindowUsage(3, sub, all[2]);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].quantity, b[i].quantity);
}

}  // namespace
}  // namespace pc::sandbox
